// SharedConfig.xml to SharedConfig, in three steps:
//   1. read every <AppTemplate> and <App> element, in file order, into an AppLayer: what that one
//      element says, values checked, with the lines to blame (app_element_reader.hpp); the root
//      and its <Plan>s are read here;
//   2. resolve each app's template chain by applying the layers from the outermost template down
//      to the app (app_templates.hpp), then finish it into an AppDef (app_groups.hpp);
//   3. check ids, dependencies and cycles across the whole file (app_groups.hpp).
#include <pugixml.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "common/config/app_element_reader.hpp"
#include "common/config/app_groups.hpp"
#include "common/config/app_templates.hpp"
#include "common/config/attribute_values.hpp"
#include "common/config/config_diagnostics.hpp"
#include "common/config/shared_config.hpp"

namespace baton::config {

namespace {

namespace fs = std::filesystem;
using namespace detail;

constexpr std::size_t kMaxFileBytes = 64 * 1024 * 1024;

// Dirigent features that are Windows-only or belong to its GUI: accepted, ignored silently.
constexpr std::array kIgnoredRootElements = {"Script",  "Machine",     "ToolsMenu",
                                             "File",    "FileRef",     "Folder",
                                             "VFolder", "FilePackage", "FilePackageRef"};
constexpr std::array kIgnoredPlanAttributes = {"Groups"};
// Dirigent features Baton does not implement: they change behaviour, so they warn.
constexpr std::array kUnsupportedPlanAttributes = {"ApplyOnStart", "ApplyOnSelect"};

class SharedConfigReader {
 public:
  SharedConfigReader(std::string_view text, const std::string& file)
      : text_(text), diagnostics_(text, file) {}

  Expected<SharedConfig> read();

 private:
  struct PendingPlan {
    PlanDef plan;  // apps filled in step 2
    int line = 0;
    int name_line = 0;
    std::vector<AppLayer> apps;
  };

  Status read_root(const pugi::xml_node& root);
  Status read_template(const pugi::xml_node& node);
  Status read_plan(const pugi::xml_node& node);

  std::string_view text_;
  ConfigDiagnostics diagnostics_;
  std::map<std::string, AppLayer> templates_;
  std::vector<std::string> template_order_;
  std::vector<AppLayer> standalone_;
  std::vector<PendingPlan> plans_;
};

// ---- step 1: elements to layers --------------------------------------------------------------

Status SharedConfigReader::read_root(const pugi::xml_node& root) {
  for (const pugi::xml_attribute& attribute : root.attributes()) {
    diagnostics_.warn_unknown_attribute(root, attribute);
  }
  for (const pugi::xml_node& child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = child.name();
    Status status = ok_status();
    if (name == "AppTemplate") {
      status = read_template(child);
    } else if (name == "App") {
      auto layer = read_app_element(child, false, diagnostics_);
      if (!layer) return layer.error();
      standalone_.push_back(std::move(layer).value());
    } else if (name == "AppDefaults") {  // older Dirigent files hold standalone apps in here
      for (const pugi::xml_node& app : child.children()) {
        if (app.type() != pugi::node_element) continue;
        if (std::string_view(app.name()) != "App") {
          diagnostics_.warn_unknown_element(app);
          continue;
        }
        auto layer = read_app_element(app, false, diagnostics_);
        if (!layer) return layer.error();
        standalone_.push_back(std::move(layer).value());
      }
    } else if (name == "Plan") {
      status = read_plan(child);
    } else if (!is_one_of(name, kIgnoredRootElements)) {
      diagnostics_.warn_unknown_element(child);
    }
    if (!status) return status;
  }
  return ok_status();
}

Status SharedConfigReader::read_template(const pugi::xml_node& node) {
  const pugi::xml_attribute name = node.attribute("Name");
  if (!name || trim(name.value()).empty()) {
    return diagnostics_.error_at(diagnostics_.line_of(node), attribute_subject("Name"),
                                 "missing on an AppTemplate", config_error::kMissingAttribute);
  }
  auto layer = read_app_element(node, true, diagnostics_);
  if (!layer) return layer.error();
  const std::string template_name(trim(name.value()));
  auto [existing, inserted] = templates_.emplace(template_name, std::move(layer).value());
  if (!inserted) {
    diagnostics_.warn(diagnostics_.line_of(node, name), attribute_subject("Name"),
                      "AppTemplate " + single_quoted(template_name) +
                          " is defined twice; the first, at line " +
                          std::to_string(existing->second.line) + ", is used");
  } else {
    template_order_.push_back(template_name);
  }
  return ok_status();
}

Status SharedConfigReader::read_plan(const pugi::xml_node& node) {
  PendingPlan pending;
  pending.line = diagnostics_.line_of(node);
  bool has_name = false;
  for (const pugi::xml_attribute& attribute : node.attributes()) {
    const std::string_view name = attribute.name();
    const int line = diagnostics_.line_of(node, attribute);
    if (name == "Name") {
      pending.plan.name = std::string(trim(attribute.value()));
      pending.name_line = line;
      has_name = !pending.plan.name.empty();
    } else if (name == "StartTimeout") {
      auto seconds = parse_number(attribute.value());
      if (!seconds) {
        return diagnostics_.error_at(line, attribute_subject(name), seconds.error().message,
                                     config_error::kBadValue);
      }
      if (*seconds > kMaxSeconds) {
        return diagnostics_.error_at(
            line, attribute_subject(name),
            "\"" + std::string(attribute.value()) + "\" is more than 1e9 seconds",
            config_error::kBadValue);
      }
      if (*seconds > 0) pending.plan.start_timeout_s = *seconds;  // Dirigent writes -1 for none
    } else if (is_one_of(name, kUnsupportedPlanAttributes)) {
      diagnostics_.warn(line, attribute_subject(name),
                        "Dirigent feature not supported by Baton, ignored");
    } else if (!is_one_of(name, kIgnoredPlanAttributes)) {
      diagnostics_.warn_unknown_attribute(node, attribute);
    }
  }
  if (!has_name) {
    return diagnostics_.error_at(pending.line, attribute_subject("Name"), "missing on a Plan",
                                 config_error::kMissingAttribute);
  }
  for (const pugi::xml_node& child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    if (std::string_view(child.name()) != "App") {
      diagnostics_.warn_unknown_element(child);
      continue;
    }
    auto layer = read_app_element(child, false, diagnostics_);
    if (!layer) return layer.error();
    pending.apps.push_back(std::move(layer).value());
  }
  plans_.push_back(std::move(pending));
  return ok_status();
}

// ---- steps 2 and 3: template chains to AppDefs, checked across the file ------------------------

Expected<SharedConfig> SharedConfigReader::read() {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed =
      document.load_buffer(text_.data(), text_.size(), pugi::parse_default);
  if (!parsed) {
    return Error{diagnostics_.file() + ":" + std::to_string(diagnostics_.line_of(parsed.offset)) +
                     ": malformed XML: " + parsed.description(),
                 config_error::kMalformedXml};
  }
  const pugi::xml_node root = document.document_element();
  if (std::string_view(root.name()) != "Shared") {
    return diagnostics_.error_at(diagnostics_.line_of(root), element_subject(root.name()),
                                 "the root element must be <Shared>", config_error::kBadStructure);
  }
  if (Status status = read_root(root); !status) return status.error();

  // Templates no app uses must still name templates that exist.
  for (const std::string& name : template_order_) {
    if (auto draft = resolve_templates(templates_.at(name), name, templates_, diagnostics_); !draft)
      return draft.error();
  }

  SharedConfig config;
  config.file = diagnostics_.file();
  std::vector<AppGroup> groups(plans_.size() + 1);
  std::map<std::string, int> plan_lines;
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    const PendingPlan& pending = plans_[i];
    auto [first, inserted] = plan_lines.emplace(pending.plan.name, pending.name_line);
    if (!inserted) {
      return diagnostics_.error_at(pending.name_line, attribute_subject("Name"),
                                   "plan " + single_quoted(pending.plan.name) +
                                       " is defined twice (first at line " +
                                       std::to_string(first->second) + ")",
                                   config_error::kDuplicate);
    }
    groups[i].description = "plan " + single_quoted(pending.plan.name);
    if (Status status = build_group(pending.apps, templates_, diagnostics_, groups[i]); !status)
      return status.error();
  }
  AppGroup& standalone = groups.back();
  standalone.description = "the standalone apps";
  if (Status status = build_group(standalone_, templates_, diagnostics_, standalone); !status)
    return status.error();

  std::vector<const AppGroup*> group_pointers;
  for (const AppGroup& group : groups)
    group_pointers.push_back(&group);
  if (Status status = check_dependencies(group_pointers, diagnostics_); !status)
    return status.error();

  for (std::size_t i = 0; i < plans_.size(); ++i) {
    PlanDef plan = std::move(plans_[i].plan);
    plan.apps = std::move(groups[i].apps);
    config.plans.push_back(std::move(plan));
  }
  config.apps = std::move(standalone.apps);
  config.warnings = diagnostics_.take_warnings();
  return config;
}

std::string config_dir_of(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(fs::path(path), error);
  if (error) absolute = fs::path(path);
  return absolute.lexically_normal().parent_path().string();
}

}  // namespace

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
