// SharedConfig.xml to SharedConfig, in three steps:
//   1. read every <AppTemplate> and <App> element, in file order, into an AppLayer: what that one
//      element says, values checked, with the lines to blame;
//   2. resolve each app's template chain by applying the layers from the outermost template down
//      to the app (AppDraft), then finish it into an AppDef;
//   3. check ids, dependencies and cycles across the whole file.
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <utility>

#include "common/config/attribute_values.hpp"
#include "common/config/dependency_cycle.hpp"
#include "common/config/shared_config.hpp"
#include "common/config/source_lines.hpp"

namespace baton::config {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFileBytes = 64 * 1024 * 1024;
constexpr double kKillSoftlyTimeoutS = 10.0;  // Dirigent's KillSoftly="1": Close, 10 s

// Dirigent features that are Windows-only or belong to its GUI: accepted, ignored silently.
constexpr std::array kIgnoredAppAttributes = {"WindowStyle", "PriorityClass", "Groups"};
// An app's file and folder menu entries (File...), its tools and scripts (Tool, Script).
constexpr std::array kIgnoredAppElements = {"WindowPos",      "File",    "FileRef",
                                            "Folder",         "VFolder", "FilePackage",
                                            "FilePackageRef", "Tool",    "Script"};
constexpr std::array kIgnoredRootElements = {"Script",  "Machine",     "ToolsMenu",
                                             "File",    "FileRef",     "Folder",
                                             "VFolder", "FilePackage", "FilePackageRef"};
constexpr std::array kIgnoredPlanAttributes = {"Groups"};
// Dirigent features Baton does not implement: they change behaviour, so they warn.
constexpr std::array kUnsupportedAppAttributes = {"AdoptIfAlreadyRunning", "ReusePrevVars",
                                                  "LeaveRunningWithPrevVars"};
constexpr std::array kUnsupportedPlanAttributes = {"ApplyOnStart", "ApplyOnSelect"};

template <std::size_t N>
bool is_one_of(std::string_view name, const std::array<const char*, N>& names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
}

std::string attribute_subject(std::string_view name) {
  return "attribute '" + std::string(name) + "'";
}
std::string element_subject(std::string_view name) {
  return "element <" + std::string(name) + ">";
}
std::string single_quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// What one <App> or <AppTemplate> element says, before its templates.
struct AppLayer {
  int line = 0;               // of the element
  std::string template_name;  // "" when none
  int template_line = 0;
  std::optional<std::string> app_id_text;
  int app_id_line = 0;
  std::optional<std::string> exe_full_path;
  std::optional<std::string> startup_dir;
  std::optional<std::string> cmd_line_args;
  std::optional<int> startup_order;
  std::optional<bool> is_volatile;
  std::optional<bool> disabled;
  std::optional<bool> restart_on_crash;
  std::optional<std::pair<int, double>> restarter;  // maxTries, delay
  bool has_init_condition = false;
  std::optional<InitDetectors> init_condition;  // InitCondition="": none
  InitDetectors init_detectors;                 // <InitDetectors>
  std::optional<std::vector<std::string>> dependencies;
  int dependencies_line = 0;
  std::optional<double> separation_interval_s;
  std::optional<bool> kill_tree;
  std::optional<bool> kill_softly;
  bool has_soft_kill = false;
  std::optional<double> soft_kill_close_s;  // <SoftKill><Close Timeout>
  std::optional<double> min_killing_time_s;
  std::vector<EnvVar> env_set;  // in element order; later ones win
  std::vector<EnvVar> env_local;
  std::vector<std::string> path_prepend;  // this element's <Path Prepend>s, in PATH order
  std::vector<std::string> path_append;
};

// An app while its template chain is applied.
struct AppDraft {
  AppDef def;
  std::optional<InitDetectors> init_condition;
  bool kill_softly = false;
  std::optional<double> soft_kill_close_s;
  std::vector<std::string> dependencies;
  int dependencies_line = 0;
};

void merge_vars(std::vector<EnvVar>& into, const std::vector<EnvVar>& from) {
  for (const EnvVar& var : from) {
    auto same =
        std::find_if(into.begin(), into.end(), [&](const EnvVar& v) { return v.name == var.name; });
    if (same != into.end()) {
      same->value = var.value;
    } else {
      into.push_back(var);
    }
  }
}

void apply_layer(const AppLayer& layer, AppDraft& draft) {
  AppDef& def = draft.def;
  if (layer.exe_full_path) def.exe_full_path = *layer.exe_full_path;
  if (layer.startup_dir) def.startup_dir = *layer.startup_dir;
  if (layer.cmd_line_args) def.cmd_line_args = *layer.cmd_line_args;
  if (layer.startup_order) def.startup_order = *layer.startup_order;
  if (layer.is_volatile) def.is_volatile = *layer.is_volatile;
  if (layer.disabled) def.disabled = *layer.disabled;
  if (layer.restart_on_crash) def.restart_on_crash = *layer.restart_on_crash;
  if (layer.restarter) std::tie(def.restart_max_tries, def.restart_delay_s) = *layer.restarter;
  if (layer.has_init_condition) draft.init_condition = layer.init_condition;
  def.init_detectors.merge(layer.init_detectors);
  if (layer.dependencies) {
    draft.dependencies = *layer.dependencies;
    draft.dependencies_line = layer.dependencies_line;
  }
  if (layer.separation_interval_s) def.separation_interval_s = *layer.separation_interval_s;
  if (layer.kill_tree) def.kill_tree = *layer.kill_tree;
  if (layer.kill_softly) draft.kill_softly = *layer.kill_softly;
  if (layer.has_soft_kill) draft.soft_kill_close_s = layer.soft_kill_close_s;
  if (layer.min_killing_time_s) def.min_killing_time_s = *layer.min_killing_time_s;
  merge_vars(def.env_set, layer.env_set);
  merge_vars(def.env_local, layer.env_local);
  def.path_prepend.insert(def.path_prepend.begin(), layer.path_prepend.begin(),
                          layer.path_prepend.end());
  def.path_append.insert(def.path_append.end(), layer.path_append.begin(), layer.path_append.end());
}

// The apps of one plan (or the standalone ones), with the line of each one's Dependencies.
struct AppGroup {
  std::vector<AppDef> apps;
  std::vector<int> dependency_lines;
  std::string description;  // "plan 'p1'" or "the standalone apps"
};

class SharedConfigReader {
 public:
  SharedConfigReader(std::string_view text, const std::string& file)
      : text_(text), file_(file), lines_(text) {}

  Expected<SharedConfig> read();

 private:
  struct PendingPlan {
    PlanDef plan;  // apps filled in step 2
    int line = 0;
    int name_line = 0;
    std::vector<AppLayer> apps;
  };

  int line_of(const pugi::xml_node& node) const { return lines_.line_of(node.offset_debug()); }
  int line_of(const pugi::xml_node& node, const pugi::xml_attribute& attribute) const {
    return lines_.attribute_line(node.offset_debug(), attribute.name());
  }
  Error error_at(int line, const std::string& subject, const std::string& detail,
                 const char* code) const {
    return Error{file_ + ":" + std::to_string(line) + ": " + subject + ": " + detail, code};
  }
  void warn(int line, std::string subject, std::string detail) {
    warnings_.push_back({file_, line, std::move(subject), std::move(detail)});
  }
  void warn_unknown_attribute(const pugi::xml_node& node, const pugi::xml_attribute& attribute) {
    warn(line_of(node, attribute), attribute_subject(attribute.name()),
         "unknown attribute, ignored");
  }
  void warn_unknown_element(const pugi::xml_node& node) {
    warn(line_of(node), element_subject(node.name()), "unknown element, ignored");
  }

  Status read_root(const pugi::xml_node& root);
  Status read_template(const pugi::xml_node& node);
  Status read_plan(const pugi::xml_node& node);
  Expected<AppLayer> read_app_element(const pugi::xml_node& node, bool is_template);
  Status read_app_attribute(const pugi::xml_node& node, const pugi::xml_attribute& attribute,
                            bool is_template, AppLayer& layer);
  Status read_restarter(const pugi::xml_node& node, AppLayer& layer);
  Status read_soft_kill(const pugi::xml_node& node, AppLayer& layer);
  Status read_env(const pugi::xml_node& node, AppLayer& layer);
  Status read_init_detectors(const pugi::xml_node& node, AppLayer& layer);

  Expected<AppDraft> resolve(const AppLayer& layer, const std::string& own_template_name);
  Status build_group(const std::vector<AppLayer>& layers, AppGroup& group);
  Status check_dependencies(const std::vector<const AppGroup*>& groups);

  std::string_view text_;
  std::string file_;
  SourceLines lines_;
  std::vector<ConfigWarning> warnings_;
  std::map<std::string, AppLayer> templates_;
  std::vector<std::string> template_order_;
  std::vector<AppLayer> standalone_;
  std::vector<PendingPlan> plans_;
};

// ---- step 1: elements to layers --------------------------------------------------------------

Status SharedConfigReader::read_root(const pugi::xml_node& root) {
  for (const pugi::xml_attribute& attribute : root.attributes()) {
    warn_unknown_attribute(root, attribute);
  }
  for (const pugi::xml_node& child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = child.name();
    Status status = ok_status();
    if (name == "AppTemplate") {
      status = read_template(child);
    } else if (name == "App") {
      auto layer = read_app_element(child, false);
      if (!layer) return layer.error();
      standalone_.push_back(std::move(layer).value());
    } else if (name == "AppDefaults") {  // older Dirigent files hold standalone apps in here
      for (const pugi::xml_node& app : child.children()) {
        if (app.type() != pugi::node_element) continue;
        if (std::string_view(app.name()) != "App") {
          warn_unknown_element(app);
          continue;
        }
        auto layer = read_app_element(app, false);
        if (!layer) return layer.error();
        standalone_.push_back(std::move(layer).value());
      }
    } else if (name == "Plan") {
      status = read_plan(child);
    } else if (!is_one_of(name, kIgnoredRootElements)) {
      warn_unknown_element(child);
    }
    if (!status) return status;
  }
  return ok_status();
}

Status SharedConfigReader::read_template(const pugi::xml_node& node) {
  const pugi::xml_attribute name = node.attribute("Name");
  if (!name || trim(name.value()).empty()) {
    return error_at(line_of(node), attribute_subject("Name"), "missing on an AppTemplate",
                    config_error::kMissingAttribute);
  }
  auto layer = read_app_element(node, true);
  if (!layer) return layer.error();
  const std::string template_name(trim(name.value()));
  auto [existing, inserted] = templates_.emplace(template_name, std::move(layer).value());
  if (!inserted) {
    warn(line_of(node, name), attribute_subject("Name"),
         "AppTemplate " + single_quoted(template_name) + " is defined twice; the first, at line " +
             std::to_string(existing->second.line) + ", is used");
  } else {
    template_order_.push_back(template_name);
  }
  return ok_status();
}

Status SharedConfigReader::read_plan(const pugi::xml_node& node) {
  PendingPlan pending;
  pending.line = line_of(node);
  bool has_name = false;
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    const std::string_view name = attribute.name();
    const int line = line_of(node, attribute);
    if (name == "Name") {
      pending.plan.name = std::string(trim(attribute.value()));
      pending.name_line = line;
      has_name = !pending.plan.name.empty();
    } else if (name == "StartTimeout") {
      auto seconds = parse_number(attribute.value());
      if (!seconds) {
        return error_at(line, attribute_subject(name), seconds.error().message,
                        config_error::kBadValue);
      }
      if (*seconds > kMaxSeconds) {
        return error_at(line, attribute_subject(name),
                        "\"" + std::string(attribute.value()) + "\" is more than 1e9 seconds",
                        config_error::kBadValue);
      }
      if (*seconds > 0) pending.plan.start_timeout_s = *seconds;  // Dirigent writes -1 for none
    } else if (is_one_of(name, kUnsupportedPlanAttributes)) {
      warn(line, attribute_subject(name), "Dirigent feature not supported by Baton, ignored");
    } else if (!is_one_of(name, kIgnoredPlanAttributes)) {
      warn_unknown_attribute(node, attribute);
    }
  }
  if (!has_name) {
    return error_at(pending.line, attribute_subject("Name"), "missing on a Plan",
                    config_error::kMissingAttribute);
  }
  for (const pugi::xml_node& child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    if (std::string_view(child.name()) != "App") {
      warn_unknown_element(child);
      continue;
    }
    auto layer = read_app_element(child, false);
    if (!layer) return layer.error();
    pending.apps.push_back(std::move(layer).value());
  }
  plans_.push_back(std::move(pending));
  return ok_status();
}

Expected<AppLayer> SharedConfigReader::read_app_element(const pugi::xml_node& node,
                                                        bool is_template) {
  AppLayer layer;
  layer.line = line_of(node);
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    if (Status status = read_app_attribute(node, attribute, is_template, layer); !status) {
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
      warn_unknown_element(child);
    }
    if (!status) return status.error();
  }
  return layer;
}

Status SharedConfigReader::read_app_attribute(const pugi::xml_node& node,
                                              const pugi::xml_attribute& attribute,
                                              bool is_template, AppLayer& layer) {
  const std::string_view name = attribute.name();
  const std::string_view value = attribute.value();
  const int line = line_of(node, attribute);
  auto bad_value = [&](const Error& error) {
    return error_at(line, attribute_subject(name), error.message, config_error::kBadValue);
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
      warn(line, attribute_subject(name), "not used on an AppTemplate, ignored");
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
    warn(line, attribute_subject(name), "Dirigent feature not supported by Baton, ignored");
  } else if (!is_one_of(name, kIgnoredAppAttributes)) {
    warn_unknown_attribute(node, attribute);
  }
  return ok_status();
}

Status SharedConfigReader::read_restarter(const pugi::xml_node& node, AppLayer& layer) {
  std::pair<int, double> restarter{-1, 1.0};
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    const std::string_view name = attribute.name();
    const int line = line_of(node, attribute);
    if (equals_ignoring_case(name, "maxTries")) {
      auto tries = parse_int(attribute.value());
      if (!tries || *tries < -1) {
        return error_at(line, attribute_subject(name),
                        tries ? "\"" + std::string(attribute.value()) + "\" is less than -1"
                              : tries.error().message,
                        config_error::kBadValue);
      }
      restarter.first = *tries;
    } else if (equals_ignoring_case(name, "delay")) {
      auto delay = parse_seconds(attribute.value());
      if (!delay) {
        return error_at(line, attribute_subject(name), delay.error().message,
                        config_error::kBadValue);
      }
      restarter.second = *delay;
    } else {
      warn_unknown_attribute(node, attribute);
    }
  }
  layer.restarter = restarter;
  return ok_status();
}

Status SharedConfigReader::read_soft_kill(const pugi::xml_node& node, AppLayer& layer) {
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    warn_unknown_attribute(node, attribute);
  }
  layer.has_soft_kill = true;
  layer.soft_kill_close_s.reset();
  for (const pugi::xml_node& step : node.children()) {
    if (step.type() != pugi::node_element) continue;
    const std::string_view name = step.name();
    if (name == "Keys") continue;  // keystrokes to a window: Windows-only
    if (name != "Close") {
      warn_unknown_element(step);
      continue;
    }
    double timeout = kKillSoftlyTimeoutS;
    for (const pugi::xml_attribute& attribute : step.attributes()) {
      if (!equals_ignoring_case(attribute.name(), "Timeout")) {
        warn_unknown_attribute(step, attribute);
        continue;
      }
      auto seconds = parse_seconds(attribute.value());
      if (!seconds) {
        return error_at(line_of(step, attribute), attribute_subject(attribute.name()),
                        seconds.error().message, config_error::kBadValue);
      }
      timeout = *seconds;
    }
    // Close is SIGTERM here; the first Close of the sequence sets how long it may take.
    if (!layer.soft_kill_close_s) layer.soft_kill_close_s = timeout;
  }
  return ok_status();
}

Status SharedConfigReader::read_env(const pugi::xml_node& node, AppLayer& layer) {
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    warn_unknown_attribute(node, attribute);
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
          warn_unknown_attribute(item, attribute);
        }
      }
      const std::string_view variable_name = variable ? trim(variable.value()) : "";
      if (variable_name.empty() || !value) {
        warn(line_of(item), element_subject(name), "needs Variable and Value, ignored");
        continue;
      }
      if (variable_name.find('=') != std::string_view::npos) {
        return error_at(line_of(item, variable), attribute_subject(variable.name()),
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
          warn_unknown_attribute(item, attribute);
        }
      }
    } else {
      warn_unknown_element(item);
    }
  }
  layer.path_prepend.insert(layer.path_prepend.begin(), prepend.begin(), prepend.end());
  return ok_status();
}

Status SharedConfigReader::read_init_detectors(const pugi::xml_node& node, AppLayer& layer) {
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    warn_unknown_attribute(node, attribute);
  }
  for (const pugi::xml_node& detector : node.children()) {
    if (detector.type() != pugi::node_element) continue;
    const std::string_view name = detector.name();
    const std::string_view content = detector.child_value();
    auto bad_value = [&](const Error& error) -> Status {
      return error_at(line_of(detector), element_subject(name), error.message,
                      config_error::kBadValue);
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
      warn_unknown_element(detector);
      continue;
    }
    for (const pugi::xml_attribute& attribute : detector.attributes()) {
      warn_unknown_attribute(detector, attribute);
    }
    layer.init_detectors.merge(found);
  }
  return ok_status();
}

// ---- step 2: template chains to AppDefs ------------------------------------------------------

Expected<AppDraft> SharedConfigReader::resolve(const AppLayer& layer,
                                               const std::string& own_template_name) {
  std::vector<const AppLayer*> chain{&layer};
  std::vector<std::string> names;
  if (!own_template_name.empty()) names.push_back(own_template_name);
  for (const AppLayer* current = &layer; !current->template_name.empty();) {
    const std::string& next = current->template_name;
    if (std::find(names.begin(), names.end(), next) != names.end()) {
      std::string loop;
      for (const std::string& n : names)
        loop += n + " -> ";
      return error_at(current->template_line, attribute_subject("Template"),
                      "templates chain in a loop: " + loop + next, config_error::kTemplateCycle);
    }
    const auto found = templates_.find(next);
    if (found == templates_.end()) {
      return error_at(current->template_line, attribute_subject("Template"),
                      "no AppTemplate named " + single_quoted(next),
                      config_error::kMissingTemplate);
    }
    names.push_back(next);
    current = &found->second;
    chain.push_back(current);
  }
  AppDraft draft;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    apply_layer(**it, draft);
  return draft;
}

Status SharedConfigReader::build_group(const std::vector<AppLayer>& layers, AppGroup& group) {
  std::map<AppId, int> first_line;
  for (const AppLayer& layer : layers) {
    if (!layer.app_id_text) {
      return error_at(layer.line, attribute_subject("AppIdTuple"), "missing on an App",
                      config_error::kMissingAttribute);
    }
    auto id = parse_app_id(*layer.app_id_text);
    if (!id) {
      return error_at(layer.app_id_line, attribute_subject("AppIdTuple"), id.error().message,
                      config_error::kBadAppId);
    }
    auto [first, inserted] = first_line.emplace(*id, layer.app_id_line);
    if (!inserted) {
      return error_at(layer.app_id_line, attribute_subject("AppIdTuple"),
                      "app " + id->to_string() + " is defined twice in " + group.description +
                          " (first at line " + std::to_string(first->second) + ")",
                      config_error::kDuplicate);
    }
    auto draft = resolve(layer, "");
    if (!draft) return draft.error();
    AppDef& def = draft->def;
    def.machine = id->machine;
    def.app = id->app;
    if (trim(def.exe_full_path).empty()) {
      return error_at(layer.line, attribute_subject("ExeFullPath"),
                      "missing on app " + id->to_string() + " and its templates",
                      config_error::kMissingAttribute);
    }
    if (draft->init_condition) def.init_detectors.merge(*draft->init_condition);
    if (draft->soft_kill_close_s) {
      def.soft_kill_timeout_s = draft->soft_kill_close_s;
    } else if (draft->kill_softly) {
      def.soft_kill_timeout_s = kKillSoftlyTimeoutS;
    }
    for (const std::string& text : draft->dependencies) {
      auto dependency = parse_app_id(text, def.machine);
      if (!dependency) {
        return error_at(draft->dependencies_line, attribute_subject("Dependencies"),
                        dependency.error().message, config_error::kBadAppId);
      }
      if (std::find(def.dependencies.begin(), def.dependencies.end(), *dependency) ==
          def.dependencies.end()) {
        def.dependencies.push_back(*dependency);
      }
    }
    group.apps.push_back(std::move(def));
    group.dependency_lines.push_back(draft->dependencies_line);
  }
  return ok_status();
}

// ---- step 3: across the file -----------------------------------------------------------------

Status SharedConfigReader::check_dependencies(const std::vector<const AppGroup*>& groups) {
  std::set<AppId> defined;
  for (const AppGroup* group : groups) {
    for (const AppDef& app : group->apps)
      defined.insert(app.id());
  }
  // Unknown ones first, in file order, then cycles: a cycle report names only defined apps.
  for (const AppGroup* group : groups) {
    for (std::size_t i = 0; i < group->apps.size(); ++i) {
      const AppDef& app = group->apps[i];
      for (const AppId& dependency : app.dependencies) {
        if (!defined.contains(dependency)) {
          return error_at(group->dependency_lines[i], attribute_subject("Dependencies"),
                          "app " + app.id().to_string() + " depends on " + dependency.to_string() +
                              ", which no App defines",
                          config_error::kUnknownDependency);
        }
      }
    }
  }
  for (const AppGroup* group : groups) {
    if (auto cycle = find_dependency_cycle(group->apps)) {
      return error_at(group->dependency_lines[cycle->app_index], attribute_subject("Dependencies"),
                      "dependency cycle in " + group->description + ": " + cycle->text(),
                      config_error::kDependencyCycle);
    }
  }
  return ok_status();
}

Expected<SharedConfig> SharedConfigReader::read() {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed =
      document.load_buffer(text_.data(), text_.size(), pugi::parse_default);
  if (!parsed) {
    return Error{file_ + ":" + std::to_string(lines_.line_of(parsed.offset)) +
                     ": malformed XML: " + parsed.description(),
                 config_error::kMalformedXml};
  }
  const pugi::xml_node root = document.document_element();
  if (std::string_view(root.name()) != "Shared") {
    return error_at(line_of(root), element_subject(root.name()),
                    "the root element must be <Shared>", config_error::kBadStructure);
  }
  if (Status status = read_root(root); !status) return status.error();

  // Templates no app uses must still name templates that exist.
  for (const std::string& name : template_order_) {
    if (auto draft = resolve(templates_.at(name), name); !draft) return draft.error();
  }

  SharedConfig config;
  config.file = file_;
  std::vector<AppGroup> groups(plans_.size() + 1);
  std::map<std::string, int> plan_lines;
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    const PendingPlan& pending = plans_[i];
    auto [first, inserted] = plan_lines.emplace(pending.plan.name, pending.name_line);
    if (!inserted) {
      return error_at(pending.name_line, attribute_subject("Name"),
                      "plan " + single_quoted(pending.plan.name) +
                          " is defined twice (first at line " + std::to_string(first->second) + ")",
                      config_error::kDuplicate);
    }
    groups[i].description = "plan " + single_quoted(pending.plan.name);
    if (Status status = build_group(pending.apps, groups[i]); !status) return status.error();
  }
  AppGroup& standalone = groups.back();
  standalone.description = "the standalone apps";
  if (Status status = build_group(standalone_, standalone); !status) return status.error();

  std::vector<const AppGroup*> group_pointers;
  for (const AppGroup& group : groups)
    group_pointers.push_back(&group);
  if (Status status = check_dependencies(group_pointers); !status) return status.error();

  for (std::size_t i = 0; i < plans_.size(); ++i) {
    PlanDef plan = std::move(plans_[i].plan);
    plan.apps = std::move(groups[i].apps);
    config.plans.push_back(std::move(plan));
  }
  config.apps = std::move(standalone.apps);
  config.warnings = std::move(warnings_);
  return config;
}

std::string config_dir_of(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(fs::path(path), error);
  if (error) absolute = fs::path(path);
  return absolute.lexically_normal().parent_path().string();
}

}  // namespace

std::string ConfigWarning::text() const {
  return file + ":" + std::to_string(line) + ": " + subject + ": " + detail;
}

const AppDef* PlanDef::find_app(const AppId& id) const {
  auto found =
      std::find_if(apps.begin(), apps.end(), [&](const AppDef& a) { return a.id() == id; });
  return found == apps.end() ? nullptr : &*found;
}

const PlanDef* SharedConfig::find_plan(std::string_view name) const {
  auto found =
      std::find_if(plans.begin(), plans.end(), [&](const PlanDef& p) { return p.name == name; });
  return found == plans.end() ? nullptr : &*found;
}

const AppDef* SharedConfig::find_standalone_app(const AppId& id) const {
  auto found =
      std::find_if(apps.begin(), apps.end(), [&](const AppDef& a) { return a.id() == id; });
  return found == apps.end() ? nullptr : &*found;
}

std::vector<AppId> SharedConfig::app_ids() const {
  std::set<AppId> ids;
  for (const PlanDef& plan : plans) {
    for (const AppDef& app : plan.apps)
      ids.insert(app.id());
  }
  for (const AppDef& app : apps)
    ids.insert(app.id());
  return {ids.begin(), ids.end()};
}

Expected<SharedConfig> parse_shared_config(std::string_view text, const std::string& virtual_path) {
  auto config = SharedConfigReader(text, virtual_path).read();
  if (!config) return config;
  const std::string config_dir = config_dir_of(virtual_path);
  config->config_dir = config_dir;
  for (PlanDef& plan : config->plans) {
    for (AppDef& app : plan.apps)
      app.config_dir = config_dir;
  }
  for (AppDef& app : config->apps)
    app.config_dir = config_dir;
  return config;
}

Expected<SharedConfig> load_shared_config(const std::string& path) {
  auto unreadable = [&](const std::string& reason) {
    return Error{path + ": cannot read the file: " + reason, config_error::kUnreadable};
  };
  std::error_code error;
  if (fs::is_directory(path, error)) return unreadable("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return unreadable(std::strerror(errno));
  std::string text;
  std::array<char, 64 * 1024> chunk;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) {
      return unreadable("larger than 64 MiB");
    }
  }
  if (in.bad()) return unreadable(std::strerror(errno));
  return parse_shared_config(text, path);
}

}  // namespace baton::config
