// Which definition each node is given (broker/fleet/deployment.hpp): the default of every app, and
// a plan's own definition from the launch by that plan on, kept over a reload that leaves the app's
// config unchanged.
#include "broker/fleet/deployment.hpp"

#include <gtest/gtest.h>

namespace baton::broker {
namespace {

config::SharedConfig parse(const std::string& standalone_args) {
  auto config = config::parse_shared_config(
      "<Shared>\n"
      "  <App AppIdTuple=\"m1.a\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"" +
          standalone_args +
          "\"/>\n"
          "  <App AppIdTuple=\"m1.b\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"1\"/>\n"
          "  <App AppIdTuple=\"m2.c\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"1\"/>\n"
          "  <Plan Name=\"p\">\n"
          "    <App AppIdTuple=\"m1.a\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"700\"/>\n"
          "    <App AppIdTuple=\"m1.only\" ExeFullPath=\"/bin/sleep\" CmdLineArgs=\"5\"/>\n"
          "  </Plan>\n"
          "</Shared>\n",
      "/configs/SharedConfig.xml");
  EXPECT_TRUE(config) << config.error().message;
  return *config;
}

std::vector<std::string> args_of(const Deployment& deployment, const std::string& machine) {
  std::vector<std::string> out;
  for (const auto& def : deployment.apps_of(machine))
    out.push_back(def.app + ":" + def.cmd_line_args);
  return out;
}

TEST(Deployment, GivesEachAppItsDefaultThenThePlansOwnDefinitionOnceThePlanLaunchedIt) {
  const auto config = parse("600");
  Deployment deployment;
  const auto added = deployment.load(config);
  EXPECT_EQ(added.added.size(), 4u);
  EXPECT_EQ(deployment.machines(), (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(args_of(deployment, "m1"), (std::vector<std::string>{"a:600", "b:1", "only:5"}));
  EXPECT_EQ(args_of(deployment, "m2"), (std::vector<std::string>{"c:1"}));

  const config::AppDef& plan_a = config.plans.front().apps.front();
  EXPECT_TRUE(deployment.use(plan_a));   // m1 needs a new deploy
  EXPECT_FALSE(deployment.use(plan_a));  // it has it already
  EXPECT_EQ(deployment.find(plan_a.id())->cmd_line_args, "700");
  EXPECT_EQ(args_of(deployment, "m1"), (std::vector<std::string>{"a:700", "b:1", "only:5"}));
  EXPECT_EQ(deployment.find(config::AppId{"m1", "nope"}), nullptr);

  // The default again (a plan whose definition is the default, or the standalone one).
  EXPECT_TRUE(deployment.use(*config.find_standalone_app(plan_a.id())));
  EXPECT_EQ(args_of(deployment, "m1"), (std::vector<std::string>{"a:600", "b:1", "only:5"}));
}

TEST(Deployment, AReloadKeepsAPlansDefinitionInUseOnlyWhileTheAppsConfigIsUnchanged) {
  Deployment deployment;
  deployment.load(parse("600"));
  const auto config = parse("600");
  ASSERT_TRUE(deployment.use(config.plans.front().apps.front()));

  const auto same = deployment.load(parse("600"));
  EXPECT_TRUE(same.changed.empty());
  EXPECT_EQ(args_of(deployment, "m1"), (std::vector<std::string>{"a:700", "b:1", "only:5"}));

  const auto changed = deployment.load(parse("601"));
  EXPECT_EQ(changed.changed, (std::vector<std::string>{"m1.a"}));
  EXPECT_EQ(args_of(deployment, "m1"), (std::vector<std::string>{"a:601", "b:1", "only:5"}));
}

}  // namespace
}  // namespace baton::broker
