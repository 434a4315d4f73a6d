// From an AppSpec and the node's variables to argv, environment and directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "node/launch_request.hpp"
#include "tests/support/test_support.hpp"

namespace baton::node {
namespace {

namespace bus = proto::bus;

std::optional<std::string> from(const std::map<std::string, std::string>& vars,
                                std::string_view k) {
  auto it = vars.find(std::string(k));
  return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
}

TEST(ExpandPercentVars, KnownUnknownAndLiteral) {
  std::map<std::string, std::string> vars{{"A", "1"}, {"B", "two"}};
  auto lookup = [&](std::string_view k) { return from(vars, k); };
  EXPECT_EQ(expand_vars("%A%-%B%", lookup), "1-two");
  EXPECT_EQ(expand_vars("x%MISSING%y", lookup), "xy");
  EXPECT_EQ(expand_vars("100%%", lookup), "100%");
  EXPECT_EQ(expand_vars("50% off, %A%", lookup), "50% off, 1");
  EXPECT_EQ(expand_vars("trailing %", lookup), "trailing %");
}

struct Built {
  SpawnRequest request;
  std::string env(const std::string& name) const {
    for (const auto& e : *request.env) {
      if (e.starts_with(name + "=")) return e.substr(name.size() + 1);
    }
    return "<unset>";
  }
};

Built build(const bus::AppSpec& spec, const Environment& env = {{"PATH", "/usr/bin:/bin"}}) {
  LaunchContext context{"m1", "plan1", "10.0.0.1", "ipc:///run/am.sock", "m1.a.1"};
  auto request = build_launch_request(spec, env, context);
  EXPECT_TRUE(request.ok()) << request.error().message;
  return Built{request.ok() ? *request : SpawnRequest{}};
}

bus::AppSpec spec_in(const std::string& dir) {
  bus::AppSpec spec;
  spec.app = "a";
  spec.exe = "/bin/echo";
  spec.config_dir = dir;
  return spec;
}

TEST(LaunchRequest, DirigentVariablesAreSetAndUsableInArguments) {
  auto spec = spec_in("/etc/baton");
  spec.args = "%DIRIGENT_MACHINEID%_%DIRIGENT_APPID%.txt \"%DIRIGENT_PLAN% plan\"";
  Built b = build(spec);
  EXPECT_EQ(b.request.argv, (std::vector<std::string>{"/bin/echo", "m1_a.txt", "plan1 plan"}));
  EXPECT_EQ(b.env("DIRIGENT_MACHINEID"), "m1");
  EXPECT_EQ(b.env("DIRIGENT_APPID"), "a");
  EXPECT_EQ(b.env("DIRIGENT_PLAN"), "plan1");
  EXPECT_EQ(b.env("DIRIGENT_SHAREDCONFDIR"), "/etc/baton");
  EXPECT_EQ(b.env("DIRIGENT_MASTER_IP"), "10.0.0.1");
  EXPECT_EQ(b.env("BATON_APPMONITOR"), "ipc:///run/am.sock");
  EXPECT_EQ(b.env("BATON_LAUNCH_ID"), "m1.a.1");
  EXPECT_EQ(b.request.cwd, "/etc/baton");  // StartupDir defaults to the config folder
}

TEST(LaunchRequest, EnvironmentBuildOrder) {
  auto spec = spec_in("/cfg");
  spec.env_set = {{"FROM_NODE", "%FROM_NODE%+set"}, {"DIRIGENT_APPID", "spoofed"}};
  spec.path_prepend = {"/pre/%DIRIGENT_APPID%"};
  spec.path_append = {"/post"};
  Built b = build(spec, {{"PATH", "/usr/bin"}, {"FROM_NODE", "node"}});
  EXPECT_EQ(b.env("FROM_NODE"), "node+set");          // Set sees the node's value
  EXPECT_EQ(b.env("DIRIGENT_APPID"), "a");            // DIRIGENT_* come last
  EXPECT_EQ(b.env("PATH"), "/pre/a:/usr/bin:/post");  // prepend and append around the node's
}

TEST(LaunchRequest, LocalVariablesExpandButAreNotExported) {
  auto spec = spec_in("/cfg");
  spec.env_local = {{"ROOT", "/opt/app"}};
  spec.exe = "%ROOT%/bin/run";
  spec.startup_dir = "%ROOT%/work";
  Built b = build(spec);
  EXPECT_EQ(b.request.argv[0], "/opt/app/bin/run");
  EXPECT_EQ(b.request.cwd, "/opt/app/work");
  EXPECT_EQ(b.env("ROOT"), "<unset>");
}

TEST(LaunchRequest, RelativePathsResolveAgainstTheConfigFolder) {
  auto spec = spec_in("/etc/baton/plans");
  spec.exe = "../bin/tool";
  spec.startup_dir = "data";
  Built b = build(spec);
  EXPECT_EQ(b.request.argv[0], "/etc/baton/bin/tool");
  EXPECT_EQ(b.request.cwd, "/etc/baton/plans/data");
}

TEST(LaunchRequest, BareNamePrefersTheConfigFolderThenPath) {
  test::TempDir dir;
  auto spec = spec_in(dir.path());
  spec.exe = "sleep";
  EXPECT_EQ(build(spec).request.argv[0], "sleep");  // not in the folder: left to PATH
  { std::ofstream(dir / "sleep") << "#!/bin/sh\n"; }
  std::filesystem::permissions(dir / "sleep", std::filesystem::perms::owner_all);
  EXPECT_EQ(build(spec).request.argv[0], dir / "sleep");
}

TEST(LaunchRequest, BadCommandLineIsAnError) {
  auto spec = spec_in("/cfg");
  spec.args = "\"unterminated";
  LaunchContext context{"m1", "", "", "", "x"};
  auto request = build_launch_request(spec, {}, context);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().message,
            "app a: CmdLineArgs: command line has an unterminated \" quote");
}

}  // namespace
}  // namespace baton::node
