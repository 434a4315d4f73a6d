#include "common/config/app_element_reader.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/attribute_values.hpp"

namespace baton::config::detail {

namespace {

// Dirigent features that are Windows-only or belong to its GUI: accepted, ignored silently.
constexpr std::array kIgnoredAppAttributes = {"WindowStyle", "PriorityClass", "Groups"};
// An app's file and folder menu entries (File...), its tools and scripts (Tool, Script).
constexpr std::array kIgnoredAppElements = {"WindowPos",      "File",    "FileRef",
                                            "Folder",         "VFolder", "FilePackage",
                                            "FilePackageRef", "Tool",    "Script"};
// Dirigent features Baton does not implement: they change behaviour, so they warn.
constexpr std::array kUnsupportedAppAttributes = {"AdoptIfAlreadyRunning", "ReusePrevVars",
                                                  "LeaveRunningWithPrevVars"};

class AppElementReader {
 public:
  explicit AppElementReader(ConfigDiagnostics& diagnostics) : diagnostics_(diagnostics) {}

  Expected<AppLayer> read(const pugi::xml_node& node, bool is_template);

 private:
  Status read_attribute(const pugi::xml_node& node, const pugi::xml_attribute& attribute,
                        bool is_template, AppLayer& layer);
  Status read_restarter(const pugi::xml_node& node, AppLayer& layer);
  Status read_soft_kill(const pugi::xml_node& node, AppLayer& layer);
  Status read_env(const pugi::xml_node& node, AppLayer& layer);
  Status read_init_detectors(const pugi::xml_node& node, AppLayer& layer);

  ConfigDiagnostics& diagnostics_;
};

Expected<AppLayer> AppElementReader::read(const pugi::xml_node& node, bool is_template) {
  AppLayer layer;
  layer.line = diagnostics_.line_of(node);
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    if (Status status = read_attribute(node, attribute, is_template, layer); !status) {
      return status.error();
    }
  }
  for (const pugi::xml_node& child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = child.name();
    Status status = ok_status();
    if (name == "Restarter") {
      status = read_restarter(child, layer);
    } else if (name == "SoftKill") {
      status = read_soft_kill(child, layer);
    } else if (name == "Env") {
      status = read_env(child, layer);
    } else if (name == "InitDetectors") {
      status = read_init_detectors(child, layer);
    } else if (!is_one_of(name, kIgnoredAppElements)) {
      diagnostics_.warn_unknown_element(child);
    }
    if (!status) return status.error();
  }
  return layer;
}

Status AppElementReader::read_attribute(const pugi::xml_node& node,
                                        const pugi::xml_attribute& attribute, bool is_template,
                                        AppLayer& layer) {
  const std::string_view name = attribute.name();
  const std::string_view value = attribute.value();
  const int line = diagnostics_.line_of(node, attribute);
  auto bad_value = [&](const Error& error) {
    return diagnostics_.error_at(line, attribute_subject(name), error.message,
                                 config_error::kBadValue);
  };
  auto read_flag = [&](std::optional<bool>& slot) -> Status {
    auto flag = parse_flag(value);
    if (!flag) return bad_value(flag.error());
    slot = *flag;
    return ok_status();
  };
  auto read_seconds = [&](std::optional<double>& slot) -> Status {
    auto seconds = parse_seconds(value);
    if (!seconds) return bad_value(seconds.error());
    slot = *seconds;
    return ok_status();
  };

  if (name == "AppIdTuple") {
    if (is_template) {
      diagnostics_.warn(line, attribute_subject(name), "not used on an AppTemplate, ignored");
    } else {
      layer.app_id_text = std::string(trim(value));
      layer.app_id_line = line;
    }
  } else if (name == "Name" && is_template) {
    // read by read_template
  } else if (name == "Template") {
    layer.template_name = std::string(trim(value));
    layer.template_line = line;
  } else if (name == "ExeFullPath") {
    layer.exe_full_path = std::string(value);
  } else if (name == "StartupDir") {
    layer.startup_dir = std::string(value);
  } else if (name == "CmdLineArgs") {
    layer.cmd_line_args = std::string(value);
  } else if (name == "StartupOrder") {
    auto order = parse_int(value);
    if (!order) return bad_value(order.error());
    layer.startup_order = *order;
  } else if (name == "Volatile") {
    return read_flag(layer.is_volatile);
  } else if (name == "Disabled") {
    return read_flag(layer.disabled);
  } else if (name == "RestartOnCrash") {
    return read_flag(layer.restart_on_crash);
  } else if (name == "KillTree") {
    return read_flag(layer.kill_tree);
  } else if (name == "KillSoftly") {
    return read_flag(layer.kill_softly);
  } else if (name == "InitCondition") {
    auto condition = parse_init_condition(value);
    if (!condition) return bad_value(condition.error());
    layer.has_init_condition = true;
    layer.init_condition = std::move(condition).value();
  } else if (name == "Dependencies") {
    layer.dependencies = split_list(value, ';');
    layer.dependencies_line = line;
  } else if (name == "SeparationInterval") {
    return read_seconds(layer.separation_interval_s);
  } else if (name == "MinKillingTime") {
    return read_seconds(layer.min_killing_time_s);
  } else if (is_one_of(name, kUnsupportedAppAttributes)) {
    diagnostics_.warn(line, attribute_subject(name),
                      "Dirigent feature not supported by Baton, ignored");
  } else if (!is_one_of(name, kIgnoredAppAttributes)) {
    diagnostics_.warn_unknown_attribute(node, attribute);
  }
  return ok_status();
}

Status AppElementReader::read_restarter(const pugi::xml_node& node, AppLayer& layer) {
  std::pair<int, double> restarter{-1, 1.0};
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    const std::string_view name = attribute.name();
    const int line = diagnostics_.line_of(node, attribute);
    if (equals_ignoring_case(name, "maxTries")) {
      auto tries = parse_int(attribute.value());
      if (!tries || *tries < -1) {
        return diagnostics_.error_at(
            line, attribute_subject(name),
            tries ? "\"" + std::string(attribute.value()) + "\" is less than -1"
                  : tries.error().message,
            config_error::kBadValue);
      }
      restarter.first = *tries;
    } else if (equals_ignoring_case(name, "delay")) {
      auto delay = parse_seconds(attribute.value());
      if (!delay) {
        return diagnostics_.error_at(line, attribute_subject(name), delay.error().message,
                                     config_error::kBadValue);
      }
      restarter.second = *delay;
    } else {
      diagnostics_.warn_unknown_attribute(node, attribute);
    }
  }
  layer.restarter = restarter;
  return ok_status();
}

Status AppElementReader::read_soft_kill(const pugi::xml_node& node, AppLayer& layer) {
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    diagnostics_.warn_unknown_attribute(node, attribute);
  }
  layer.has_soft_kill = true;
  layer.soft_kill_close_s.reset();
  for (const pugi::xml_node& step : node.children()) {
    if (step.type() != pugi::node_element) continue;
    const std::string_view name = step.name();
    if (name == "Keys") continue;  // keystrokes to a window: Windows-only
    if (name != "Close") {
      diagnostics_.warn_unknown_element(step);
      continue;
    }
    double timeout = kKillSoftlyTimeoutS;
    for (const pugi::xml_attribute& attribute : step.attributes()) {
      if (!equals_ignoring_case(attribute.name(), "Timeout")) {
        diagnostics_.warn_unknown_attribute(step, attribute);
        continue;
      }
      auto seconds = parse_seconds(attribute.value());
      if (!seconds) {
        return diagnostics_.error_at(diagnostics_.line_of(step, attribute),
                                     attribute_subject(attribute.name()), seconds.error().message,
                                     config_error::kBadValue);
      }
      timeout = *seconds;
    }
    // Close is SIGTERM here; the first Close of the sequence sets how long it may take.
    if (!layer.soft_kill_close_s) layer.soft_kill_close_s = timeout;
  }
  return ok_status();
}

Status AppElementReader::read_env(const pugi::xml_node& node, AppLayer& layer) {
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    diagnostics_.warn_unknown_attribute(node, attribute);
  }
  std::vector<std::string> prepend;  // this <Env>'s Prepends, latest first
  for (const pugi::xml_node& item : node.children()) {
    if (item.type() != pugi::node_element) continue;
    const std::string_view name = item.name();
    if (name == "Set" || name == "Local") {
      pugi::xml_attribute variable;
      pugi::xml_attribute value;
      for (const pugi::xml_attribute& attribute : item.attributes()) {
        if (equals_ignoring_case(attribute.name(), "Variable")) {
          variable = attribute;
        } else if (equals_ignoring_case(attribute.name(), "Value")) {
          value = attribute;
        } else {
          diagnostics_.warn_unknown_attribute(item, attribute);
        }
      }
      const std::string_view variable_name = variable ? trim(variable.value()) : "";
      if (variable_name.empty() || !value) {
        diagnostics_.warn(diagnostics_.line_of(item), element_subject(name),
                          "needs Variable and Value, ignored");
        continue;
      }
      if (variable_name.find('=') != std::string_view::npos) {
        return diagnostics_.error_at(
            diagnostics_.line_of(item, variable), attribute_subject(variable.name()),
            "\"" + std::string(variable_name) + "\" is not a variable name",
            config_error::kBadValue);
      }
      EnvVar var{std::string(variable_name), value.value()};
      merge_vars(name == "Set" ? layer.env_set : layer.env_local, {var});
    } else if (name == "Path") {
      for (const pugi::xml_attribute& attribute : item.attributes()) {
        if (equals_ignoring_case(attribute.name(), "Prepend")) {
          auto entries = split_list(attribute.value(), ';');
          prepend.insert(prepend.begin(), entries.begin(), entries.end());
        } else if (equals_ignoring_case(attribute.name(), "Append")) {
          auto entries = split_list(attribute.value(), ';');
          layer.path_append.insert(layer.path_append.end(), entries.begin(), entries.end());
        } else {
          diagnostics_.warn_unknown_attribute(item, attribute);
        }
      }
    } else {
      diagnostics_.warn_unknown_element(item);
    }
  }
  layer.path_prepend.insert(layer.path_prepend.begin(), prepend.begin(), prepend.end());
  return ok_status();
}

Status AppElementReader::read_init_detectors(const pugi::xml_node& node, AppLayer& layer) {
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    diagnostics_.warn_unknown_attribute(node, attribute);
  }
  for (const pugi::xml_node& detector : node.children()) {
    if (detector.type() != pugi::node_element) continue;
    const std::string_view name = detector.name();
    const std::string_view content = detector.child_value();
    auto bad_value = [&](const Error& error) -> Status {
      return diagnostics_.error_at(diagnostics_.line_of(detector), element_subject(name),
                                   error.message, config_error::kBadValue);
    };
    InitDetectors found;
    if (equals_ignoring_case(name, "Timeout")) {
      auto seconds = parse_seconds(content);
      if (!seconds) return bad_value(seconds.error());
      found.timeout_s = *seconds;
    } else if (equals_ignoring_case(name, "ExitCode")) {
      auto codes = parse_exit_codes(content);
      if (!codes) return bad_value(codes.error());
      found.exit_codes = std::move(codes).value();
    } else if (equals_ignoring_case(name, "Heartbeat")) {
      found.heartbeat = true;
    } else if (equals_ignoring_case(name, "WindowPoppedUp")) {
      continue;  // Windows-only
    } else {
      diagnostics_.warn_unknown_element(detector);
      continue;
    }
    for (const pugi::xml_attribute& attribute : detector.attributes()) {
      diagnostics_.warn_unknown_attribute(detector, attribute);
    }
    layer.init_detectors.merge(found);
  }
  return ok_status();
}

}  // namespace

Expected<AppLayer> read_app_element(const pugi::xml_node& node, bool is_template,
                                    ConfigDiagnostics& diagnostics) {
  return AppElementReader(diagnostics).read(node, is_template);
}

}  // namespace baton::config::detail
