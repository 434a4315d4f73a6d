// One <App> or <AppTemplate> element of a SharedConfig.xml into an AppLayer: its attributes and
// its <Restarter>, <SoftKill>, <Env> and <InitDetectors>, every value checked, each error and
// warning with the line of the attribute or element to blame.
#pragma once

#include <pugixml.hpp>

#include "common/config/app_layer.hpp"
#include "common/config/config_diagnostics.hpp"
#include "common/expected.hpp"

namespace baton::config::detail {

// An AppTemplate's Name is left to the caller; AppIdTuple on one warns.
Expected<AppLayer> read_app_element(const pugi::xml_node& node, bool is_template,
                                    ConfigDiagnostics& diagnostics);

}  // namespace baton::config::detail
