// SharedConfig.xml, Dirigent's plan file (docs/shared-config.md), loaded into plans and app
// definitions with every AppTemplate resolved away. schemas/SharedConfig.xsd describes the format.
//
// Loading never throws: a file Baton cannot run is an Error whose message names the file, the
// line and the attribute ("plans/a.xml:12: attribute 'RestartOnCrash': \"yes please\" is not 0 or
// 1") and whose code (config_error below) says which kind; the first problem found is reported.
// What Baton can run but does not fully understand loads, with a ConfigWarning per item, so that
// a full Dirigent file still loads:
//   - Windows-only and Dirigent GUI features (WindowStyle, WindowPos, PriorityClass, Groups,
//     <Script>, <Machine>, file and tool menus, WindowPoppedUp, SoftKill <Keys>) are ignored
//     silently;
//   - Dirigent features Baton does not implement (AdoptIfAlreadyRunning, ReusePrevVars,
//     LeaveRunningWithPrevVars, ApplyOnStart, ApplyOnSelect) warn;
//   - an attribute or element Baton does not know warns;
//   - so do a second AppTemplate of the same name (the first is used, as in Dirigent), AppIdTuple
//     on an AppTemplate, and an <Env><Set>/<Local> without Variable or Value.
//
// Semantics, as in Dirigent:
//   - Templates chain through Template="…"; each attribute of an element overrides its template's.
//     <Restarter> and <SoftKill> replace the template's, <InitDetectors> add to them, <Env><Set>
//     and <Local> merge by variable name, <Path Prepend> goes before and <Path Append> after the
//     template's entries. InitCondition="" clears a template's InitCondition. A <SoftKill> <Close>
//     without Timeout waits 10 s, as does KillSoftly="1" without <SoftKill>.
//   - App, AppTemplate and Plan attribute names are case-sensitive; those of the sub-elements
//     (Restarter, SoftKill, Env, InitDetectors) and the detector names are not.
//   - Every app (in a plan or standalone) needs AppIdTuple on its own element and an ExeFullPath
//     from itself or its templates. Two apps with one id in a plan, or two standalone ones, are an
//     error; the same id in several plans and standalone is normal (per-plan settings).
//   - A dependency must name an app defined somewhere in the file. Cycles are errors within a plan
//     and among the standalone apps (a dependency on an app outside the plan is waited for, not
//     followed).
//   - Paths and %VAR% stay as written (see app_def.hpp); config_dir is the absolute folder of the
//     file, which relative paths resolve against and DIRIGENT_SHAREDCONFDIR names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/app_def.hpp"
#include "common/expected.hpp"

namespace baton::config {

// Error::code of a failed load.
namespace config_error {
inline constexpr const char* kUnreadable = "unreadable";               // cannot read the file
inline constexpr const char* kMalformedXml = "malformed_xml";          // not well-formed XML
inline constexpr const char* kBadStructure = "bad_structure";          // root is not <Shared>
inline constexpr const char* kMissingAttribute = "missing_attribute";  // a required attribute
inline constexpr const char* kBadValue = "bad_value";                  // a value of wrong form
inline constexpr const char* kBadAppId = "bad_app_id";                 // AppIdTuple, Dependencies
inline constexpr const char* kMissingTemplate = "missing_template";    // Template names nothing
inline constexpr const char* kTemplateCycle = "template_cycle";        // templates chain in a loop
inline constexpr const char* kDuplicate = "duplicate";                 // app id or plan name twice
inline constexpr const char* kUnknownDependency = "unknown_dependency";  // app defined nowhere
inline constexpr const char* kDependencyCycle = "dependency_cycle";      // apps wait on each other
}  // namespace config_error

// Something in the file that Baton ignores. subject is "attribute 'X'" or "element <X>".
struct ConfigWarning {
  std::string file;
  int line = 0;
  std::string subject;
  std::string detail;

  // "file:line: subject: detail", the same shape as error messages.
  std::string text() const;
  bool operator==(const ConfigWarning&) const = default;
};

struct PlanDef {
  std::string name;
  std::optional<double> start_timeout_s;  // StartTimeout; unset (or <= 0 in the file): none
  std::vector<AppDef> apps;               // in file order

  const AppDef* find_app(const AppId& id) const;
  bool operator==(const PlanDef&) const = default;
};

struct SharedConfig {
  std::string file;                     // as given to the loader, used in messages
  std::string config_dir;               // absolute folder of the file
  std::vector<PlanDef> plans;           // in file order
  std::vector<AppDef> apps;             // standalone <App>s (also inside <AppDefaults>)
  std::vector<ConfigWarning> warnings;  // in file order

  const PlanDef* find_plan(std::string_view name) const;
  const AppDef* find_standalone_app(const AppId& id) const;
  // Every app id the file defines, in a plan or standalone, sorted and without repeats.
  std::vector<AppId> app_ids() const;
};

// Reads and parses the file at `path`.
Expected<SharedConfig> load_shared_config(const std::string& path);

// Parses `text` as if read from `virtual_path`, which names the file in messages and gives
// config_dir (its folder, made absolute against the current directory). Nothing is read from disk.
Expected<SharedConfig> parse_shared_config(std::string_view text, const std::string& virtual_path);

}  // namespace baton::config
