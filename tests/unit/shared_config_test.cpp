// SharedConfig.xml to plans and app definitions: templates, every attribute and element, init
// detectors, environment, dependencies, reload.
#include <gtest/gtest.h>

#include "tests/unit/shared_config_fixture.hpp"

namespace baton::config {
namespace {

using namespace test_config;
namespace fs = std::filesystem;

// ---- the model -------------------------------------------------------------------------------

TEST(SharedConfig, MinimalPlanGetsEveryDefault) {
  auto config = parse_ok(R"(<Shared>
  <Plan Name="main"><App AppIdTuple="m1.a" ExeFullPath="/bin/sleep"/></Plan>
</Shared>)");
  EXPECT_EQ(config.file, kFile);
  EXPECT_EQ(config.config_dir, "/srv/plans");
  ASSERT_EQ(config.plans.size(), 1u);
  EXPECT_EQ(config.plans[0].name, "main");
  EXPECT_EQ(config.plans[0].start_timeout_s, std::nullopt);
  ASSERT_EQ(config.plans[0].apps.size(), 1u);
  const AppDef& app = config.plans[0].apps[0];
  AppDef expected;
  expected.machine = "m1";
  expected.app = "a";
  expected.exe_full_path = "/bin/sleep";
  expected.config_dir = "/srv/plans";
  EXPECT_EQ(app, expected);
  EXPECT_EQ(app.restart_max_tries, -1);
  EXPECT_EQ(app.restart_delay_s, 1.0);
  EXPECT_FALSE(app.init_detectors.any());
  EXPECT_TRUE(config.apps.empty());
  EXPECT_TRUE(config.warnings.empty());
}

TEST(SharedConfig, EveryAttributeAndElement) {
  auto config = parse_ok(R"(<Shared>
  <Plan Name="p1" StartTimeout="12.5">
    <App AppIdTuple="m1.z" ExeFullPath="/bin/true"/>
    <App AppIdTuple = "m1.all"
         ExeFullPath = "bin/%TOOL%"
         StartupDir = "work"
         CmdLineArgs = "-v &quot;two words&quot; %DIRIGENT_APPID%"
         StartupOrder = "-3"
         Volatile = "1"
         Disabled = "true"
         RestartOnCrash = " 1 "
         InitCondition = "timeout 2.5"
         Dependencies = "m2.x; z"
         SeparationInterval = "0.25"
         KillTree = "1"
         KillSoftly = "0"
         MinKillingTime = "1.5">
      <Restarter maxTries="3" delay="0.5"/>
      <SoftKill><Keys Timeout="1" Keys="^c"/><Close Timeout="4"/></SoftKill>
      <InitDetectors><ExitCode>0,2,5-7</ExitCode><Heartbeat/></InitDetectors>
      <Env>
        <Set Variable="A" Value="1"/>
        <Local Variable="L" Value="%HOME%/x"/>
        <Path Prepend="p1;p2" Append="a1"/>
      </Env>
    </App>
  </Plan>
  <App AppIdTuple="m2.x" ExeFullPath="/bin/true"/>
</Shared>)");
  const PlanDef* plan = config.find_plan("p1");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->start_timeout_s, 12.5);
  const AppDef& app = app_in(config, "p1", "m1.all");
  EXPECT_EQ(app.machine, "m1");
  EXPECT_EQ(app.app, "all");
  EXPECT_EQ(app.exe_full_path, "bin/%TOOL%");
  EXPECT_EQ(app.startup_dir, "work");
  EXPECT_EQ(app.cmd_line_args, "-v \"two words\" %DIRIGENT_APPID%");
  EXPECT_EQ(app.config_dir, "/srv/plans");
  EXPECT_EQ(app.startup_order, -3);
  EXPECT_TRUE(app.is_volatile);
  EXPECT_TRUE(app.disabled);
  EXPECT_TRUE(app.restart_on_crash);
  EXPECT_EQ(app.restart_max_tries, 3);
  EXPECT_EQ(app.restart_delay_s, 0.5);
  EXPECT_EQ(app.init_detectors.timeout_s, 2.5);
  EXPECT_EQ(app.init_detectors.exit_codes, (std::vector<ExitCodeRange>{{0, 0}, {2, 2}, {5, 7}}));
  EXPECT_TRUE(app.init_detectors.heartbeat);
  EXPECT_EQ(app.dependencies, (std::vector<AppId>{{"m2", "x"}, {"m1", "z"}}));
  EXPECT_EQ(app.separation_interval_s, 0.25);
  EXPECT_TRUE(app.kill_tree);
  EXPECT_EQ(app.soft_kill_timeout_s, 4.0);
  EXPECT_EQ(app.min_killing_time_s, 1.5);
  EXPECT_EQ(app.env_set, (std::vector<EnvVar>{{"A", "1"}}));
  EXPECT_EQ(app.env_local, (std::vector<EnvVar>{{"L", "%HOME%/x"}}));
  EXPECT_EQ(app.path_prepend, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(app.path_append, (std::vector<std::string>{"a1"}));
  ASSERT_EQ(config.apps.size(), 1u);
  EXPECT_EQ(config.apps[0].id(), (AppId{"m2", "x"}));
  EXPECT_TRUE(config.warnings.empty()) << testing::PrintToString(warning_texts(config));
}

TEST(SharedConfig, TemplatesChainAndTheElementOverrides) {
  auto config = parse_ok(R"(<Shared>
  <AppTemplate Name="base" Template="" ExeFullPath="/bin/sleep" CmdLineArgs="1" RestartOnCrash="1"
               SeparationInterval="0.5" KillTree="1" StartupDir="/base"/>
  <AppTemplate Name="mid" Template="base" CmdLineArgs="2" KillTree="0"/>
  <Plan Name="p">
    <App AppIdTuple="m1.a" Template="mid" CmdLineArgs="3"/>
    <App AppIdTuple="m1.b" Template="mid"/>
    <App AppIdTuple="m1.c" Template="base" RestartOnCrash="0"/>
    <App AppIdTuple="m1.d" Template="" ExeFullPath="/bin/true"/>
  </Plan>
</Shared>)");
  const AppDef& a = app_in(config, "p", "m1.a");
  EXPECT_EQ(a.exe_full_path, "/bin/sleep");  // from base through mid
  EXPECT_EQ(a.cmd_line_args, "3");           // the element wins
  EXPECT_EQ(a.startup_dir, "/base");
  EXPECT_TRUE(a.restart_on_crash);
  EXPECT_EQ(a.separation_interval_s, 0.5);
  EXPECT_FALSE(a.kill_tree);  // mid overrides base
  EXPECT_EQ(app_in(config, "p", "m1.b").cmd_line_args, "2");
  const AppDef& c = app_in(config, "p", "m1.c");
  EXPECT_FALSE(c.restart_on_crash);
  EXPECT_TRUE(c.kill_tree);
  EXPECT_EQ(app_in(config, "p", "m1.d").cmd_line_args, "");
  // Template order in the file does not matter.
  auto later = parse_ok(R"(<Shared>
  <Plan Name="p"><App AppIdTuple="m1.a" Template="t"/></Plan>
  <AppTemplate Name="t" ExeFullPath="/bin/true"/>
</Shared>)");
  EXPECT_EQ(app_in(later, "p", "m1.a").exe_full_path, "/bin/true");
}

TEST(SharedConfig, SubElementsAgainstTheTemplate) {
  auto config = parse_ok(R"(<Shared>
  <AppTemplate Name="t" ExeFullPath="/bin/sh" InitCondition="timeout 5" KillSoftly="1">
    <Restarter maxTries="7" delay="3"/>
    <InitDetectors><ExitCode>1</ExitCode></InitDetectors>
  </AppTemplate>
  <Plan Name="p">
    <App AppIdTuple="m1.inherits" Template="t"/>
    <App AppIdTuple="m1.replaces" Template="t" InitCondition="exitcode 3">
      <Restarter delay="9"/>
      <InitDetectors><Heartbeat/></InitDetectors>
      <SoftKill><Close Timeout="2"/></SoftKill>
    </App>
    <App AppIdTuple="m1.clears" Template="t" InitCondition="" KillSoftly="0"/>
  </Plan>
</Shared>)");
  const AppDef& inherits = app_in(config, "p", "m1.inherits");
  EXPECT_EQ(inherits.restart_max_tries, 7);
  EXPECT_EQ(inherits.restart_delay_s, 3.0);
  EXPECT_EQ(inherits.init_detectors.timeout_s, 5.0);
  EXPECT_EQ(inherits.init_detectors.exit_codes, (std::vector<ExitCodeRange>{{1, 1}}));
  EXPECT_EQ(inherits.soft_kill_timeout_s, 10.0);  // KillSoftly="1": Close with 10 s

  // <Restarter> replaces the template's whole; <InitDetectors> adds to the template's;
  // InitCondition replaces the template's InitCondition; <SoftKill> wins over KillSoftly.
  const AppDef& replaces = app_in(config, "p", "m1.replaces");
  EXPECT_EQ(replaces.restart_max_tries, -1);
  EXPECT_EQ(replaces.restart_delay_s, 9.0);
  EXPECT_EQ(replaces.init_detectors.timeout_s, std::nullopt);
  EXPECT_EQ(replaces.init_detectors.exit_codes, (std::vector<ExitCodeRange>{{1, 1}, {3, 3}}));
  EXPECT_TRUE(replaces.init_detectors.heartbeat);
  EXPECT_EQ(replaces.soft_kill_timeout_s, 2.0);

  const AppDef& clears = app_in(config, "p", "m1.clears");
  EXPECT_EQ(clears.init_detectors.timeout_s, std::nullopt);
  EXPECT_EQ(clears.init_detectors.exit_codes, (std::vector<ExitCodeRange>{{1, 1}}));
  EXPECT_EQ(clears.soft_kill_timeout_s, std::nullopt);
}

TEST(SharedConfig, InitDetectorsBothSyntaxes) {
  auto config = parse_ok(R"(<Shared>
  <Plan Name="p">
    <App AppIdTuple="m1.t1" ExeFullPath="x" InitCondition="timeout 2.0"/>
    <App AppIdTuple="m1.t2" ExeFullPath="x" InitCondition="  TimeOut   3 "/>
    <App AppIdTuple="m1.e1" ExeFullPath="x" InitCondition="exitcode 0"/>
    <App AppIdTuple="m1.e2" ExeFullPath="x" InitCondition="ExitCode -4--1, 3,4, 10-12,"/>
    <App AppIdTuple="m1.h1" ExeFullPath="x" InitCondition="heartbeat"/>
    <App AppIdTuple="m1.x1" ExeFullPath="x">
      <InitDetectors>
        <Timeout>5.0</Timeout>
        <TimeOut> 4 </TimeOut>
        <ExitCode>0,2,5-7</ExitCode>
        <exitcode>-1</exitcode>
        <Heartbeat/>
        <WindowPoppedUp TitleRegExp="\s-\sNotepad"/>
      </InitDetectors>
    </App>
    <App AppIdTuple="m1.none" ExeFullPath="x"><InitDetectors/></App>
  </Plan>
</Shared>)");
  EXPECT_EQ(app_in(config, "p", "m1.t1").init_detectors.timeout_s, 2.0);
  EXPECT_EQ(app_in(config, "p", "m1.t2").init_detectors.timeout_s, 3.0);
  EXPECT_EQ(app_in(config, "p", "m1.e1").init_detectors.exit_codes,
            (std::vector<ExitCodeRange>{{0, 0}}));
  const InitDetectors& e2 = app_in(config, "p", "m1.e2").init_detectors;
  EXPECT_EQ(e2.exit_codes, (std::vector<ExitCodeRange>{{-4, -1}, {3, 4}, {10, 12}}));
  EXPECT_TRUE(e2.exit_code_matches(-2));
  EXPECT_TRUE(e2.exit_code_matches(11));
  EXPECT_FALSE(e2.exit_code_matches(0));
  EXPECT_FALSE(e2.exit_code_matches(5));
  const InitDetectors& h1 = app_in(config, "p", "m1.h1").init_detectors;
  EXPECT_TRUE(h1.heartbeat);
  EXPECT_EQ(h1.timeout_s, std::nullopt);
  const InitDetectors& x1 = app_in(config, "p", "m1.x1").init_detectors;
  EXPECT_EQ(x1.timeout_s, 4.0);  // two Timeouts: the first met is the shorter
  EXPECT_EQ(x1.exit_codes, (std::vector<ExitCodeRange>{{-1, 0}, {2, 2}, {5, 7}}));
  EXPECT_TRUE(x1.heartbeat);
  EXPECT_FALSE(app_in(config, "p", "m1.none").init_detectors.any());
  EXPECT_TRUE(config.warnings.empty()) << testing::PrintToString(warning_texts(config));
}

TEST(SharedConfig, EnvMergesByNameOverTheTemplate) {
  auto config = parse_ok(R"(<Shared>
  <AppTemplate Name="t" ExeFullPath="x">
    <Env>
      <Set Variable="A" Value="template-a"/>
      <Set Variable="B" Value="template-b"/>
      <Local Variable="L1" Value="template-l1"/>
      <Path Prepend="tp1;tp2" Append="ta1"/>
    </Env>
  </AppTemplate>
  <Plan Name="p">
    <App AppIdTuple="m1.a" Template="t">
      <Env>
        <Set Variable="B" Value="app-b"/>
        <Set Variable="C" Value="app-c"/>
        <Set Variable="C" Value="app-c2"/>
        <Local Variable="L1" Value="app-l1"/>
        <Local Variable="L2" Value=""/>
        <Path Prepend="ap1"/>
        <Path Prepend="ap2;;ap3" Append="aa1;aa2"/>
      </Env>
    </App>
  </Plan>
</Shared>)");
  const AppDef& app = app_in(config, "p", "m1.a");
  EXPECT_EQ(app.env_set,
            (std::vector<EnvVar>{{"A", "template-a"}, {"B", "app-b"}, {"C", "app-c2"}}));
  EXPECT_EQ(app.env_local, (std::vector<EnvVar>{{"L1", "app-l1"}, {"L2", ""}}));
  // Each Prepend goes before what is there already, each Append after.
  EXPECT_EQ(app.path_prepend, (std::vector<std::string>{"ap2", "ap3", "ap1", "tp1", "tp2"}));
  EXPECT_EQ(app.path_append, (std::vector<std::string>{"ta1", "aa1", "aa2"}));
}

TEST(SharedConfig, DependenciesAcrossMachinesAndOnTheSameMachine) {
  auto config = parse_ok(R"(<Shared>
  <AppTemplate Name="t" ExeFullPath="x" Dependencies="db"/>
  <Plan Name="p">
    <App AppIdTuple="m1.db" ExeFullPath="x"/>
    <App AppIdTuple="m2.db" ExeFullPath="x"/>
    <App AppIdTuple="m1.web" ExeFullPath="x" Dependencies=" m2.db ; db;;m2.db "/>
    <App AppIdTuple="m2.worker" Template="t"/>
    <App AppIdTuple="m2.cron" ExeFullPath="x" Dependencies="m3.standalone"/>
  </Plan>
  <App AppIdTuple="m3.standalone" ExeFullPath="x"/>
</Shared>)");
  EXPECT_EQ(app_in(config, "p", "m1.web").dependencies,
            (std::vector<AppId>{{"m2", "db"}, {"m1", "db"}}));
  // A template's "db" is on the machine of each app using it.
  EXPECT_EQ(app_in(config, "p", "m2.worker").dependencies, (std::vector<AppId>{{"m2", "db"}}));
  // An app outside the plan, defined standalone, is a known dependency.
  EXPECT_EQ(app_in(config, "p", "m2.cron").dependencies,
            (std::vector<AppId>{{"m3", "standalone"}}));
  EXPECT_EQ(config.app_ids(), (std::vector<AppId>{{"m1", "db"},
                                                  {"m1", "web"},
                                                  {"m2", "cron"},
                                                  {"m2", "db"},
                                                  {"m2", "worker"},
                                                  {"m3", "standalone"}}));
}

TEST(SharedConfig, SameAppInSeveralPlansAndStandalone) {
  auto config = parse_ok(R"(<Shared>
  <AppDefaults><App AppIdTuple="m1.old" ExeFullPath="old"/></AppDefaults>
  <App AppIdTuple="m1.a" ExeFullPath="x" CmdLineArgs="standalone"/>
  <Plan Name="p1" StartTimeout="-1"><App AppIdTuple="m1.a" ExeFullPath="x" CmdLineArgs="one"/></Plan>
  <Plan Name="p2" StartTimeout="0"><App AppIdTuple="m1.a" ExeFullPath="x" CmdLineArgs="two"/></Plan>
</Shared>)");
  EXPECT_EQ(app_in(config, "p1", "m1.a").cmd_line_args, "one");
  EXPECT_EQ(app_in(config, "p2", "m1.a").cmd_line_args, "two");
  ASSERT_NE(config.find_standalone_app({"m1", "a"}), nullptr);
  EXPECT_EQ(config.find_standalone_app({"m1", "a"})->cmd_line_args, "standalone");
  EXPECT_NE(config.find_standalone_app({"m1", "old"}), nullptr);     // older Dirigent files
  EXPECT_EQ(config.find_plan("p1")->start_timeout_s, std::nullopt);  // Dirigent's -1: none
  EXPECT_EQ(config.find_plan("p2")->start_timeout_s, std::nullopt);
  EXPECT_EQ(config.find_plan("p3"), nullptr);
}

TEST(SharedConfig, ReloadTellsUnchangedDefinitions) {
  const std::string text = R"(<Shared>
  <AppTemplate Name="t" ExeFullPath="/bin/sleep" RestartOnCrash="1"/>
  <Plan Name="p">
    <App AppIdTuple="m1.a" Template="t" CmdLineArgs="1"/>
    <App AppIdTuple="m1.b" Template="t" CmdLineArgs="2"/>
  </Plan>
</Shared>)";
  auto before = parse_ok(text);
  // Reformatted, comment added, one app changed through its template's neighbour attribute.
  auto after = parse_ok(R"(<Shared>
  <!-- reformatted -->
  <AppTemplate Name="t"
               ExeFullPath="/bin/sleep"
               RestartOnCrash="1"/>
  <Plan Name="p">
    <App AppIdTuple="m1.a" Template="t" CmdLineArgs="1"/>
    <App AppIdTuple="m1.b" Template="t" CmdLineArgs="2" KillTree="1"/>
  </Plan>
</Shared>)");
  const AppDef& a0 = app_in(before, "p", "m1.a");
  const AppDef& a1 = app_in(after, "p", "m1.a");
  const AppDef& b0 = app_in(before, "p", "m1.b");
  const AppDef& b1 = app_in(after, "p", "m1.b");
  EXPECT_EQ(a0, a1);
  EXPECT_EQ(fingerprint(a0), fingerprint(a1));
  EXPECT_NE(b0, b1);
  EXPECT_NE(fingerprint(b0), fingerprint(b1));
  // The same file in another folder: relative paths resolve elsewhere, so it is another definition.
  auto moved = parse_shared_config(text, "/elsewhere/SharedConfig.xml");
  ASSERT_TRUE(moved.ok());
  EXPECT_NE(moved->plans[0].apps[0], a0);
}

TEST(SharedConfig, ConfigDirIsTheAbsoluteFolderOfTheFile) {
  auto config = parse_shared_config(R"(<Shared><App AppIdTuple="m1.a" ExeFullPath="x"/></Shared>)",
                                    "sub/../conf/my.xml");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->file, "sub/../conf/my.xml");
  EXPECT_EQ(config->config_dir, (fs::current_path() / "conf").lexically_normal().string());
  EXPECT_EQ(config->apps[0].config_dir, config->config_dir);
}

// ---- errors: file, line and attribute --------------------------------------------------------

}  // namespace
}  // namespace baton::config
