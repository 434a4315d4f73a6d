// What the SharedConfig.xml tests share: readable failure output for the model's types, and
// parsing an inline document as if it were /srv/plans/SharedConfig.xml.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "common/config/attribute_values.hpp"
#include "common/config/dependency_cycle.hpp"
#include "common/config/expand_vars.hpp"
#include "common/config/shared_config.hpp"

namespace baton::config {

// Readable failure output: the packed form of a definition prints as JSON-like text.
inline void PrintTo(const AppDef& app, std::ostream* os) {
  const std::string packed = proto::pack_to_string(app);
  *os << msgpack::unpack(packed.data(), packed.size()).get();
}
inline void PrintTo(const AppId& id, std::ostream* os) {
  *os << id.to_string();
}
inline void PrintTo(const ExitCodeRange& range, std::ostream* os) {
  *os << range.first << ".." << range.last;
}
inline void PrintTo(const EnvVar& var, std::ostream* os) {
  *os << var.name << "=" << var.value;
}

namespace test_config {

namespace fs = std::filesystem;

inline const std::string kFile = "/srv/plans/SharedConfig.xml";
inline const fs::path kPlans = fs::path(BATON_SOURCE_DIR) / "plans";

inline Expected<SharedConfig> parse(std::string_view xml) {
  return parse_shared_config(xml, kFile);
}

inline SharedConfig parse_ok(std::string_view xml) {
  auto config = parse(xml);
  EXPECT_TRUE(config.ok()) << config.error().message;
  return config.ok() ? std::move(config).value() : SharedConfig{};
}

// The message of a load that must fail with `code`.
inline std::string error_of(std::string_view xml, const std::string& code) {
  auto config = parse(xml);
  if (config.ok()) {
    ADD_FAILURE() << "loaded, expected a " << code << " error";
    return "";
  }
  EXPECT_EQ(config.error().code, code) << config.error().message;
  return config.error().message;
}

inline std::vector<std::string> warning_texts(const SharedConfig& config) {
  std::vector<std::string> texts;
  for (const ConfigWarning& w : config.warnings)
    texts.push_back(w.text());
  return texts;
}

inline const AppDef& app_in(const SharedConfig& config, const std::string& plan,
                            const std::string& id) {
  const PlanDef* p = config.find_plan(plan);
  EXPECT_NE(p, nullptr) << plan;
  const AppDef* app = p ? p->find_app(*parse_app_id(id)) : nullptr;
  EXPECT_NE(app, nullptr) << id << " in " << plan;
  static const AppDef kNone;
  return app ? *app : kNone;
}

}  // namespace test_config
}  // namespace baton::config
