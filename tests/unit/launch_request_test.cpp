// From an AppSpec and the node's variables to argv, environment and directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "harness/temp_dir.hpp"
#include "node/apps/launch_request.hpp"

namespace baton::node {
namespace {

struct Built {
  SpawnRequest request;
  std::string env(const std::string& name) const {
    for (const auto& e : *request.env) {
      if (e.starts_with(name + "=")) return e.substr(name.size() + 1);
    }
    return "<unset>";
  }
};

Built build(const config::AppDef& spec, const Environment& env = {{"PATH", "/usr/bin:/bin"}}) {
  LaunchContext context{"m1", "plan1", "10.0.0.1", "ipc:///run/am.sock", "m1.a.1"};
  auto request = build_launch_request(spec, env, context);
  EXPECT_TRUE(request.ok()) << request.error().message;
  return Built{request.ok() ? *request : SpawnRequest{}};
}

config::AppDef spec_in(const std::string& dir) {
  config::AppDef spec;
  spec.machine = "m1";
  spec.app = "a";
  spec.exe_full_path = "/bin/echo";
  spec.config_dir = dir;
  return spec;
}

TEST(LaunchRequest, DirigentVariablesAreSetAndUsableInArguments) {
  auto spec = spec_in("/etc/baton");
  spec.cmd_line_args = "%DIRIGENT_MACHINEID%_%DIRIGENT_APPID%.txt \"%DIRIGENT_PLAN% plan\"";
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
  spec.exe_full_path = "%ROOT%/bin/run";
  spec.startup_dir = "%ROOT%/work";
  Built b = build(spec);
  EXPECT_EQ(b.request.argv[0], "/opt/app/bin/run");
  EXPECT_EQ(b.request.cwd, "/opt/app/work");
  EXPECT_EQ(b.env("ROOT"), "<unset>");
}

TEST(LaunchRequest, RelativePathsResolveAgainstTheConfigFolder) {
  auto spec = spec_in("/etc/baton/plans");
  spec.exe_full_path = "../bin/tool";
  spec.startup_dir = "data";
  Built b = build(spec);
  EXPECT_EQ(b.request.argv[0], "/etc/baton/bin/tool");
  EXPECT_EQ(b.request.cwd, "/etc/baton/plans/data");
}

TEST(LaunchRequest, BareNamePrefersTheConfigFolderThenPath) {
  harness::TempDir dir;
  auto spec = spec_in(dir.path());
  spec.exe_full_path = "sleep";
  EXPECT_EQ(build(spec).request.argv[0], "sleep");  // not in the folder: left to PATH
  { std::ofstream(dir / "sleep") << "#!/bin/sh\n"; }
  std::filesystem::permissions(dir / "sleep", std::filesystem::perms::owner_all);
  EXPECT_EQ(build(spec).request.argv[0], dir / "sleep");
}

TEST(LaunchRequest, BadCommandLineIsAnError) {
  auto spec = spec_in("/cfg");
  spec.cmd_line_args = "\"unterminated";
  LaunchContext context{"m1", "", "", "", "x"};
  auto request = build_launch_request(spec, {}, context);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().message,
            "app a: CmdLineArgs: command line has an unterminated \" quote");
}

}  // namespace
}  // namespace baton::node
