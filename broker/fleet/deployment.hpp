// Which app definitions each node runs. An app may be defined standalone and in several plans,
// each with its own settings; a node holds one definition per app. It starts with the standalone
// one (else the one of the first plan that has the app) and switches to a plan's own definition
// when that plan launches the app, as Dirigent applies per-plan settings at launch.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/config/shared_config.hpp"
#include "common/proto/control.hpp"

namespace baton::broker {

class Deployment {
 public:
  // Definitions from a freshly loaded config. Returns what changed against the previous
  // config, by app id (machine.app).
  proto::control::ReloadResult load(const config::SharedConfig& config);

  // The definitions of one machine, as the deploy command sends them.
  std::vector<config::AppDef> apps_of(const std::string& machine) const;
  const config::AppDef* find(const config::AppId& id) const;
  // Makes `def` the definition of its app; true when it differs from the current one (the
  // machine needs a new deploy).
  bool use(const config::AppDef& def);

  std::vector<std::string> machines() const;

 private:
  static std::map<config::AppId, config::AppDef> defaults_of(const config::SharedConfig& config);

  std::map<config::AppId, config::AppDef> defaults_;  // from the config
  // What the nodes were (or will be) given where it is not the default: a plan's own definition
  // since that plan launched the app. Only those, not a second copy of every definition (some
  // 50 MB at 100,000 apps).
  std::map<config::AppId, config::AppDef> overrides_;
};

}  // namespace baton::broker
