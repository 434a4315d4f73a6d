// SharedConfig.xml to plans and app definitions: templates, every attribute, errors with file,
// line and attribute, warnings, the example files in plans/, %VAR% expansion, the wire form.
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
void PrintTo(const AppDef& app, std::ostream* os) {
  const std::string packed = proto::pack_to_string(app);
  *os << msgpack::unpack(packed.data(), packed.size()).get();
}
void PrintTo(const AppId& id, std::ostream* os) {
  *os << id.to_string();
}
void PrintTo(const ExitCodeRange& range, std::ostream* os) {
  *os << range.first << ".." << range.last;
}
void PrintTo(const EnvVar& var, std::ostream* os) {
  *os << var.name << "=" << var.value;
}

namespace {

namespace fs = std::filesystem;

const std::string kFile = "/srv/plans/SharedConfig.xml";
const fs::path kPlans = fs::path(BATON_SOURCE_DIR) / "plans";

Expected<SharedConfig> parse(std::string_view xml) {
  return parse_shared_config(xml, kFile);
}

SharedConfig parse_ok(std::string_view xml) {
  auto config = parse(xml);
  EXPECT_TRUE(config.ok()) << config.error().message;
  return config.ok() ? std::move(config).value() : SharedConfig{};
}

// The message of a load that must fail with `code`.
std::string error_of(std::string_view xml, const std::string& code) {
  auto config = parse(xml);
  if (config.ok()) {
    ADD_FAILURE() << "loaded, expected a " << code << " error";
    return "";
  }
  EXPECT_EQ(config.error().code, code) << config.error().message;
  return config.error().message;
}

std::vector<std::string> warning_texts(const SharedConfig& config) {
  std::vector<std::string> texts;
  for (const ConfigWarning& w : config.warnings)
    texts.push_back(w.text());
  return texts;
}

const AppDef& app_in(const SharedConfig& config, const std::string& plan, const std::string& id) {
  const PlanDef* p = config.find_plan(plan);
  EXPECT_NE(p, nullptr) << plan;
  const AppDef* app = p ? p->find_app(*parse_app_id(id)) : nullptr;
  EXPECT_NE(app, nullptr) << id << " in " << plan;
  static const AppDef kNone;
  return app ? *app : kNone;
}

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

TEST(SharedConfigErrors, MalformedXml) {
  EXPECT_EQ(error_of("<Shared>\n  <Plan Name=\"p\">\n  </Plans>\n</Shared>\n",
                     config_error::kMalformedXml),
            "/srv/plans/SharedConfig.xml:3: malformed XML: Start-end tags mismatch");
  EXPECT_EQ(error_of("<Shared>\n<App AppIdTuple=\"m1.a\n", config_error::kMalformedXml),
            "/srv/plans/SharedConfig.xml:2: malformed XML: Error parsing element attribute");
  // The line is where the parser notices: here the '>' missing on line 3 shows on line 4.
  EXPECT_EQ(
      error_of("<Shared>\n<Plan Name=\"p\">\n</Plan\n</Shared>\n", config_error::kMalformedXml),
      "/srv/plans/SharedConfig.xml:4: malformed XML: Error parsing end element tag");
  EXPECT_EQ(error_of("", config_error::kMalformedXml),
            "/srv/plans/SharedConfig.xml:1: malformed XML: No document element found");
  EXPECT_EQ(error_of("\n<Plans/>", config_error::kBadStructure),
            "/srv/plans/SharedConfig.xml:2: element <Plans>: the root element must be <Shared>");
}

TEST(SharedConfigErrors, BadValueNamesTheLineOfTheAttribute) {
  EXPECT_EQ(error_of(R"(<Shared>
  <Plan Name="p">
    <App AppIdTuple="m1.a"
         ExeFullPath="/bin/true"
         RestartOnCrash="yes please"/>
  </Plan>
</Shared>)",
                     config_error::kBadValue),
            "/srv/plans/SharedConfig.xml:5: attribute 'RestartOnCrash': \"yes please\" is not 0 "
            "or 1");
}

TEST(SharedConfigErrors, BadValuesOfEveryKind) {
  auto one_app = [](const std::string& attributes, const std::string& content = "") {
    return "<Shared><Plan Name=\"p\">\n<App AppIdTuple=\"m1.a\" ExeFullPath=\"x\" " + attributes +
           ">" + content + "</App></Plan></Shared>";
  };
  const std::string at = "/srv/plans/SharedConfig.xml:2: ";
  const char* bad = config_error::kBadValue;
  EXPECT_EQ(error_of(one_app("Volatile=\"2\""), bad),
            at + "attribute 'Volatile': \"2\" is not 0 or 1");
  EXPECT_EQ(error_of(one_app("StartupOrder=\"first\""), bad),
            at + "attribute 'StartupOrder': \"first\" is not an integer");
  EXPECT_EQ(error_of(one_app("SeparationInterval=\"0,5\""), bad),
            at + "attribute 'SeparationInterval': \"0,5\" is not a number of seconds");
  EXPECT_EQ(error_of(one_app("MinKillingTime=\"-1\""), bad),
            at + "attribute 'MinKillingTime': \"-1\" is negative");
  // Longer than any clock of the daemons holds in nanoseconds: refused here, not overflowed later.
  EXPECT_EQ(error_of(one_app("SeparationInterval=\"10000000000\""), bad),
            at + "attribute 'SeparationInterval': \"10000000000\" is more than 1e9 seconds");
  EXPECT_EQ(error_of(one_app("InitCondition=\"window 1\""), bad),
            at + "attribute 'InitCondition': \"window 1\" names no init detector (timeout, "
                 "exitcode, heartbeat)");
  EXPECT_EQ(error_of(one_app("InitCondition=\"timeout soon\""), bad),
            at + "attribute 'InitCondition': timeout \"soon\" is not a number of seconds");
  EXPECT_EQ(error_of(one_app("InitCondition=\"exitcode 7-5\""), bad),
            at + "attribute 'InitCondition': exitcode range \"7-5\" is reversed");
  EXPECT_EQ(error_of(one_app("", "<Restarter maxTries=\"-2\"/>"), bad),
            at + "attribute 'maxTries': \"-2\" is less than -1");
  EXPECT_EQ(error_of(one_app("", "<Restarter delay=\"later\"/>"), bad),
            at + "attribute 'delay': \"later\" is not a number of seconds");
  EXPECT_EQ(error_of(one_app("", "<SoftKill><Close Timeout=\"x\"/></SoftKill>"), bad),
            at + "attribute 'Timeout': \"x\" is not a number of seconds");
  EXPECT_EQ(error_of(one_app("", "<InitDetectors><ExitCode>0,x</ExitCode></InitDetectors>"), bad),
            at + "element <ExitCode>: \"x\" is not an exit code or a range of them");
  EXPECT_EQ(error_of(one_app("", "<InitDetectors><ExitCode>, </ExitCode></InitDetectors>"), bad),
            at + "element <ExitCode>: \", \" lists no exit code");
  EXPECT_EQ(error_of(one_app("", "<InitDetectors><Timeout>-3</Timeout></InitDetectors>"), bad),
            at + "element <Timeout>: \"-3\" is negative");
  EXPECT_EQ(error_of(one_app("", "<Env><Set Variable=\"A=B\" Value=\"1\"/></Env>"), bad),
            at + "attribute 'Variable': \"A=B\" is not a variable name");
  EXPECT_EQ(error_of("<Shared>\n<Plan Name=\"p\" StartTimeout=\"soon\"/></Shared>", bad),
            at + "attribute 'StartTimeout': \"soon\" is not a number");
}

TEST(SharedConfigErrors, MissingTemplate) {
  EXPECT_EQ(error_of(R"(<Shared>
  <Plan Name="p">
    <App AppIdTuple="m1.a"
         Template="apps.nope"/>
  </Plan>
</Shared>)",
                     config_error::kMissingTemplate),
            "/srv/plans/SharedConfig.xml:4: attribute 'Template': no AppTemplate named "
            "'apps.nope'");
  // Also through a chain, and in a template no app uses.
  EXPECT_EQ(error_of(R"(<Shared>
  <AppTemplate Name="unused"
               Template="gone" ExeFullPath="x"/>
</Shared>)",
                     config_error::kMissingTemplate),
            "/srv/plans/SharedConfig.xml:3: attribute 'Template': no AppTemplate named 'gone'");
}

TEST(SharedConfigErrors, TemplateCycle) {
  EXPECT_EQ(error_of(R"(<Shared>
  <AppTemplate Name="a" Template="b"/>
  <AppTemplate Name="b" Template="a"/>
</Shared>)",
                     config_error::kTemplateCycle),
            "/srv/plans/SharedConfig.xml:3: attribute 'Template': templates chain in a loop: a -> "
            "b -> a");
  EXPECT_EQ(error_of("<Shared>\n<AppTemplate Name=\"self\" Template=\"self\"/></Shared>",
                     config_error::kTemplateCycle),
            "/srv/plans/SharedConfig.xml:2: attribute 'Template': templates chain in a loop: self "
            "-> self");
}

TEST(SharedConfigErrors, UnknownDependency) {
  EXPECT_EQ(error_of(R"(<Shared>
  <Plan Name="p">
    <App AppIdTuple="m1.a" ExeFullPath="x"/>
    <App AppIdTuple="m1.b" ExeFullPath="x"
         Dependencies="m1.a;m2.a"/>
  </Plan>
</Shared>)",
                     config_error::kUnknownDependency),
            "/srv/plans/SharedConfig.xml:5: attribute 'Dependencies': app m1.b depends on m2.a, "
            "which no App defines");
  // The machine-less shorthand means the app's own machine, not any machine.
  EXPECT_EQ(error_of(R"(<Shared>
  <Plan Name="p">
    <App AppIdTuple="m2.a" ExeFullPath="x"/>
    <App AppIdTuple="m1.b" ExeFullPath="x" Dependencies="a"/>
  </Plan>
</Shared>)",
                     config_error::kUnknownDependency),
            "/srv/plans/SharedConfig.xml:4: attribute 'Dependencies': app m1.b depends on m1.a, "
            "which no App defines");
  EXPECT_EQ(error_of("<Shared><Plan Name=\"p\">\n<App AppIdTuple=\"m1.b\" ExeFullPath=\"x\" "
                     "Dependencies=\"m1/a\"/></Plan></Shared>",
                     config_error::kBadAppId),
            "/srv/plans/SharedConfig.xml:2: attribute 'Dependencies': \"m1/a\" holds a character "
            "not allowed in an app id (white space, / ; @ %)");
}

TEST(SharedConfigErrors, DependencyCycle) {
  // Named at the Dependencies of the app whose dependency closes the cycle (m1.b's "a").
  EXPECT_EQ(error_of(R"(<Shared>
  <Plan Name="p">
    <App AppIdTuple="m1.a" ExeFullPath="x" Dependencies="m2.c"/>
    <App AppIdTuple="m1.b" ExeFullPath="x" Dependencies="a"/>
    <App AppIdTuple="m2.c" ExeFullPath="x"
         Dependencies="m1.b"/>
  </Plan>
</Shared>)",
                     config_error::kDependencyCycle),
            "/srv/plans/SharedConfig.xml:4: attribute 'Dependencies': dependency cycle in plan "
            "'p': m1.a -> m2.c -> m1.b -> m1.a");
  EXPECT_EQ(error_of("<Shared>\n<App AppIdTuple=\"m1.a\" ExeFullPath=\"x\" Dependencies=\"a\"/>"
                     "</Shared>",
                     config_error::kDependencyCycle),
            "/srv/plans/SharedConfig.xml:2: attribute 'Dependencies': dependency cycle in the "
            "standalone apps: m1.a -> m1.a");
  // Across plans it is no cycle: p1's b waits for a, p2's a waits for b.
  parse_ok(R"(<Shared>
  <Plan Name="p1"><App AppIdTuple="m1.a" ExeFullPath="x"/><App AppIdTuple="m1.b" ExeFullPath="x" Dependencies="a"/></Plan>
  <Plan Name="p2"><App AppIdTuple="m1.a" ExeFullPath="x" Dependencies="b"/><App AppIdTuple="m1.b" ExeFullPath="x"/></Plan>
</Shared>)");
}

TEST(SharedConfigErrors, AppIdTupleMissingInvalidOrDuplicate) {
  EXPECT_EQ(error_of("<Shared><Plan Name=\"p\">\n<App ExeFullPath=\"x\"/></Plan></Shared>",
                     config_error::kMissingAttribute),
            "/srv/plans/SharedConfig.xml:2: attribute 'AppIdTuple': missing on an App");
  EXPECT_EQ(error_of("<Shared><Plan Name=\"p\">\n<App AppIdTuple=\"m1\" ExeFullPath=\"x\"/>"
                     "</Plan></Shared>",
                     config_error::kBadAppId),
            "/srv/plans/SharedConfig.xml:2: attribute 'AppIdTuple': \"m1\" is not machine.app");
  EXPECT_EQ(error_of("<Shared>\n<App AppIdTuple=\".a\" ExeFullPath=\"x\"/></Shared>",
                     config_error::kBadAppId),
            "/srv/plans/SharedConfig.xml:2: attribute 'AppIdTuple': \".a\" is not machine.app");
  EXPECT_EQ(error_of("<Shared>\n<App AppIdTuple=\"m1.my app\" ExeFullPath=\"x\"/></Shared>",
                     config_error::kBadAppId),
            "/srv/plans/SharedConfig.xml:2: attribute 'AppIdTuple': \"m1.my app\" holds a "
            "character not allowed in an app id (white space, / ; @ %)");
  EXPECT_EQ(error_of(R"(<Shared>
  <Plan Name="p">
    <App AppIdTuple="m1.a" ExeFullPath="x"/>
    <App AppIdTuple="m1.b" ExeFullPath="x"/>
    <App ExeFullPath="y"
         AppIdTuple="m1.a"/>
  </Plan>
</Shared>)",
                     config_error::kDuplicate),
            "/srv/plans/SharedConfig.xml:6: attribute 'AppIdTuple': app m1.a is defined twice in "
            "plan 'p' (first at line 3)");
  EXPECT_EQ(error_of("<Shared>\n<App AppIdTuple=\"m1.a\" ExeFullPath=\"x\"/>\n"
                     "<App AppIdTuple=\"m1.a\" ExeFullPath=\"x\"/></Shared>",
                     config_error::kDuplicate),
            "/srv/plans/SharedConfig.xml:3: attribute 'AppIdTuple': app m1.a is defined twice in "
            "the standalone apps (first at line 2)");
}

TEST(SharedConfigErrors, OtherMissingPieces) {
  EXPECT_EQ(error_of("<Shared><Plan Name=\"p\">\n<App AppIdTuple=\"m1.a\" CmdLineArgs=\"1\"/>"
                     "</Plan></Shared>",
                     config_error::kMissingAttribute),
            "/srv/plans/SharedConfig.xml:2: attribute 'ExeFullPath': missing on app m1.a and its "
            "templates");
  EXPECT_EQ(
      error_of("<Shared>\n<Plan StartTimeout=\"1\"/></Shared>", config_error::kMissingAttribute),
      "/srv/plans/SharedConfig.xml:2: attribute 'Name': missing on a Plan");
  EXPECT_EQ(error_of("<Shared>\n<AppTemplate ExeFullPath=\"x\"/></Shared>",
                     config_error::kMissingAttribute),
            "/srv/plans/SharedConfig.xml:2: attribute 'Name': missing on an AppTemplate");
  EXPECT_EQ(error_of("<Shared>\n<Plan Name=\"p\"/>\n<Plan Name=\"p\"/></Shared>",
                     config_error::kDuplicate),
            "/srv/plans/SharedConfig.xml:3: attribute 'Name': plan 'p' is defined twice (first at "
            "line 2)");
}

TEST(SharedConfigErrors, LinesCountInCrLfFiles) {
  EXPECT_EQ(error_of("<Shared>\r\n<Plan Name=\"p\">\r\n<App AppIdTuple=\"m1.a\"\r\n"
                     "  ExeFullPath=\"x\"\r\n  Volatile=\"maybe\"/>\r\n</Plan></Shared>",
                     config_error::kBadValue),
            "/srv/plans/SharedConfig.xml:5: attribute 'Volatile': \"maybe\" is not 0 or 1");
}

TEST(SharedConfigErrors, UnreadableFile) {
  auto missing = load_shared_config("/nonexistent/SharedConfig.xml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, config_error::kUnreadable);
  EXPECT_EQ(missing.error().message,
            "/nonexistent/SharedConfig.xml: cannot read the file: No such file or directory");
  auto directory = load_shared_config(kPlans.string());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().message,
            kPlans.string() + ": cannot read the file: it is a directory");
}

// ---- warnings --------------------------------------------------------------------------------

TEST(SharedConfigWarnings, UnknownAttributesAndElementsWarnAndStillLoad) {
  auto config = parse_ok(R"(<Shared Version="2">
  <AppTemplate Name="t" AppIdTuple="m9.t" ExeFullPath="x"/>
  <AppTemplate Name="t" ExeFullPath="other"/>
  <Plan Name="p" ApplyOnStart="1" Colour="red">
    <App AppIdTuple="m1.a" Template="t"
         XXX_InitCondition="exitcode 0"
         AdoptIfAlreadyRunning="1">
      <Telemetry/>
      <Restarter maxtries="2" Jitter="1"/>
      <Env><Set Variable="A"/><Unset Variable="B"/></Env>
    </App>
    <Group/>
  </Plan>
  <Machine Name="m1" IP="10.0.0.1"/>
  <Dashboard/>
</Shared>)");
  EXPECT_EQ(warning_texts(config),
            (std::vector<std::string>{
                kFile + ":1: attribute 'Version': unknown attribute, ignored",
                kFile + ":2: attribute 'AppIdTuple': not used on an AppTemplate, ignored",
                kFile + ":3: attribute 'Name': AppTemplate 't' is defined twice; the first, at "
                        "line 2, is used",
                kFile + ":4: attribute 'ApplyOnStart': Dirigent feature not supported by Baton, "
                        "ignored",
                kFile + ":4: attribute 'Colour': unknown attribute, ignored",
                kFile + ":6: attribute 'XXX_InitCondition': unknown attribute, ignored",
                kFile + ":7: attribute 'AdoptIfAlreadyRunning': Dirigent feature not supported "
                        "by Baton, ignored",
                kFile + ":8: element <Telemetry>: unknown element, ignored",
                kFile + ":9: attribute 'Jitter': unknown attribute, ignored",
                kFile + ":10: element <Set>: needs Variable and Value, ignored",
                kFile + ":10: element <Unset>: unknown element, ignored",
                kFile + ":12: element <Group>: unknown element, ignored",
                kFile + ":15: element <Dashboard>: unknown element, ignored",
            }));
  const AppDef& app = app_in(config, "p", "m1.a");
  EXPECT_EQ(app.exe_full_path, "x");    // the first template
  EXPECT_EQ(app.restart_max_tries, 2);  // sub-element attributes in any case
  ASSERT_EQ(config.warnings.size(), 13u);
  EXPECT_EQ(config.warnings[5].file, kFile);
  EXPECT_EQ(config.warnings[5].line, 6);
  EXPECT_EQ(config.warnings[5].subject, "attribute 'XXX_InitCondition'");
}

TEST(SharedConfigWarnings, WindowsOnlyAndGuiFeaturesAreIgnoredSilently) {
  auto config = parse_ok(R"xml(<Shared>
  <AppTemplate Name="t" ExeFullPath="x" WindowStyle="minimized" PriorityClass="High" Groups="g"/>
  <Plan Name="p" Groups="a;b">
    <App AppIdTuple="m1.a" Template="t" WindowStyle="hidden" Groups="x">
      <WindowPos TitleRegExp="\s-\sNotepad" Rect="10,50,300,200" Screen="1" Keep="0"/>
      <SoftKill><Keys Timeout="1.5" Keys="^(c)"/></SoftKill>
      <InitDetectors><WindowPoppedUp TitleRegExp="x"/></InitDetectors>
      <File Id="log" Path="x.log"/>
      <Tool Name="notepad"/>
    </App>
  </Plan>
  <Script Name="Demo1" File="Scripts/DemoScript1.cs" Args=""/>
  <ToolsMenu><Tool Name="x"/></ToolsMenu>
  <Machine Name="m1"/>
  <Folder Path="logs"/>
</Shared>)xml");
  EXPECT_TRUE(config.warnings.empty()) << testing::PrintToString(warning_texts(config));
  const AppDef& app = app_in(config, "p", "m1.a");
  EXPECT_EQ(app.soft_kill_timeout_s, std::nullopt);  // Keys only: nothing to do on Linux
  EXPECT_FALSE(app.init_detectors.any());
}

// ---- the example files -----------------------------------------------------------------------

TEST(PlanFiles, MinimalLoads) {
  auto config = load_shared_config((kPlans / "minimal.xml").string());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->warnings.empty());
  EXPECT_EQ(config->config_dir, kPlans.string());
  const AppDef& app = app_in(*config, "main", "m1.sleeper");
  EXPECT_EQ(app.exe_full_path, "/bin/sleep");
  EXPECT_TRUE(app.restart_on_crash);
}

TEST(PlanFiles, DirigentSampleLoads) {
  auto config = load_shared_config((kPlans / "dirigent-sample.xml").string());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->warnings.empty()) << testing::PrintToString(warning_texts(*config));
  std::vector<std::string> plans;
  for (const PlanDef& plan : config->plans)
    plans.push_back(plan.name);
  EXPECT_EQ(plans, (std::vector<std::string>{"plan1", "plan2", "plan3", "planX", "empty"}));
  EXPECT_EQ(config->find_plan("plan1")->start_timeout_s, 10.0);
  EXPECT_TRUE(config->find_plan("empty")->apps.empty());
  ASSERT_EQ(config->apps.size(), 2u);

  const AppDef& b = app_in(*config, "plan1", "m1.b");
  EXPECT_EQ(b.exe_full_path, "/bin/sleep");
  EXPECT_EQ(b.dependencies, (std::vector<AppId>{{"m1", "a"}}));
  EXPECT_EQ(b.restart_max_tries, 2);
  EXPECT_EQ(b.soft_kill_timeout_s, 0.7);
  EXPECT_EQ(b.init_detectors.timeout_s, 2.0);

  const AppDef& d = app_in(*config, "plan1", "m1.d");
  EXPECT_TRUE(d.kill_tree);
  EXPECT_EQ(d.soft_kill_timeout_s, 10.0);  // KillSoftly="1" in apps.sh
  EXPECT_EQ(d.env_set,
            (std::vector<EnvVar>{
                {"LANG", "C.UTF-8"}, {"TMPDIR", "/var/tmp"}, {"EXPANSION_TEST", "xxx%USER%xxx"}}));
  EXPECT_EQ(d.path_prepend,
            (std::vector<std::string>{"/opt/myapp/bin", "RelPath1/sub1", "../RelPath2/sub1"}));
  EXPECT_EQ(d.env_local, (std::vector<EnvVar>{{"GREETING", "hello"}}));
  EXPECT_EQ(d.init_detectors.exit_codes, (std::vector<ExitCodeRange>{{0, 0}, {2, 2}, {5, 7}}));

  const AppDef& monitored = app_in(*config, "plan1", "m1.monitored");
  EXPECT_TRUE(monitored.init_detectors.heartbeat);
  EXPECT_EQ(monitored.dependencies, (std::vector<AppId>{{"m1", "d"}}));

  const AppDef& x = app_in(*config, "planX", "m1.x");
  EXPECT_EQ(x.separation_interval_s, 2.0);  // apps.sleeper.slow over apps.sleeper
  EXPECT_EQ(x.min_killing_time_s, 1.5);
  EXPECT_TRUE(x.restart_on_crash);
}

// Every file in plans/ (the demo among them) loads without an error.
TEST(PlanFiles, EveryPlanFileLoads) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kPlans)) {
    if (entry.path().extension() != ".xml") continue;
    ++files;
    auto config = load_shared_config(entry.path().string());
    EXPECT_TRUE(config.ok()) << config.error().message;
  }
  EXPECT_GE(files, 2);
}

// The schema accepts every example file (checked with xmllint where it is installed).
TEST(PlanFiles, EveryPlanFileMatchesTheSchema) {
  if (std::system("command -v xmllint >/dev/null 2>&1") != 0) GTEST_SKIP() << "no xmllint";
  const fs::path schema = fs::path(BATON_SOURCE_DIR) / "schemas" / "SharedConfig.xsd";
  for (const auto& entry : fs::directory_iterator(kPlans)) {
    if (entry.path().extension() != ".xml") continue;
    const std::string command =
        "xmllint --noout --schema '" + schema.string() + "' '" + entry.path().string() + "' 2>&1";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
      output += buffer;
    EXPECT_EQ(pclose(pipe), 0) << output;
  }
}

// ---- values ----------------------------------------------------------------------------------

TEST(AppIds, ParseMachineAndApp) {
  EXPECT_EQ(*parse_app_id("m1.a"), (AppId{"m1", "a"}));
  EXPECT_EQ(*parse_app_id("m1.a.b"), (AppId{"m1", "a.b"}));  // the first dot splits
  EXPECT_EQ(*parse_app_id("b", "m2"), (AppId{"m2", "b"}));
  EXPECT_EQ(*parse_app_id("m1.b", "m2"), (AppId{"m1", "b"}));
  EXPECT_EQ(parse_app_id("b").error().message, "\"b\" is not machine.app");
  EXPECT_EQ(parse_app_id("m1.").error().message, "\"m1.\" is not machine.app");
  for (const char* bad : {"m1.a/b", "m1.a;b", "m1.a@plan", "m1.%X%", "m1.a\tb", "m 1.a"}) {
    EXPECT_FALSE(parse_app_id(bad).ok()) << bad;
  }
  // Each part as long as the schemas allow (128), the whole at most 255.
  const std::string part(128, 'x');
  EXPECT_TRUE(parse_app_id("m1." + part).ok());
  EXPECT_TRUE(parse_app_id(part + ".a").ok());
  EXPECT_FALSE(parse_app_id("m1." + part + "x").ok());
  EXPECT_FALSE(parse_app_id(part + "x.a").ok());
  EXPECT_FALSE(parse_app_id(part + "." + part).ok());  // 257 in all
  EXPECT_EQ((AppId{"m1", "a"}).to_string(), "m1.a");
}

TEST(AttributeValues, ExitCodeLists) {
  EXPECT_EQ(*parse_exit_codes("0"), (std::vector<ExitCodeRange>{{0, 0}}));
  EXPECT_EQ(*parse_exit_codes(" 7-9 , 1,2,3 ,8"), (std::vector<ExitCodeRange>{{1, 3}, {7, 9}}));
  EXPECT_EQ(*parse_exit_codes("-4-8"), (std::vector<ExitCodeRange>{{-4, 8}}));
  EXPECT_EQ(*parse_exit_codes("-4--1,-7"), (std::vector<ExitCodeRange>{{-7, -7}, {-4, -1}}));
  EXPECT_EQ(*parse_exit_codes("2147483647,2147483646"),
            (std::vector<ExitCodeRange>{{2147483646, 2147483647}}));
  for (const char* bad : {"", ",", "a", "1-", "1-2-3", "1 2", "99999999999", "3-1", "+1"}) {
    EXPECT_FALSE(parse_exit_codes(bad).ok()) << bad;
  }
}

TEST(AttributeValues, FlagsNumbersSeconds) {
  EXPECT_TRUE(*parse_flag("1"));
  EXPECT_FALSE(*parse_flag(" 0 "));
  EXPECT_TRUE(*parse_flag("TRUE"));
  EXPECT_FALSE(*parse_flag("false"));
  for (const char* bad : {"", "2", "yes", "-1", "01"})
    EXPECT_FALSE(parse_flag(bad).ok()) << bad;
  EXPECT_EQ(*parse_seconds("2"), 2.0);
  EXPECT_EQ(*parse_seconds(" 0.5 "), 0.5);
  EXPECT_EQ(*parse_seconds(".25"), 0.25);
  EXPECT_EQ(*parse_number("-1"), -1.0);
  EXPECT_FALSE(std::signbit(*parse_seconds("-0")));
  for (const char* bad : {"", "1e3", "inf", "nan", "1,5", "2s", "-1"}) {
    EXPECT_FALSE(parse_seconds(bad).ok()) << bad;
  }
  EXPECT_EQ(*parse_int(" -12 "), -12);
  EXPECT_FALSE(parse_int("1.5").ok());
  EXPECT_FALSE(parse_int("99999999999").ok());
  EXPECT_EQ(split_list(";a; b ;;c ;", ';'), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(DependencyCycles, FoundFromTheFirstApp) {
  auto app = [](const char* id, std::vector<AppId> deps) {
    AppDef def;
    def.machine = "m";
    def.app = id;
    def.dependencies = std::move(deps);
    return def;
  };
  EXPECT_FALSE(find_dependency_cycle({app("a", {{"m", "b"}}), app("b", {{"x", "outside"}})}));
  auto cycle = find_dependency_cycle(
      {app("a", {{"m", "b"}}), app("b", {{"m", "c"}}), app("c", {{"m", "b"}})});
  ASSERT_TRUE(cycle);
  EXPECT_EQ(cycle->app_index, 2u);
  EXPECT_EQ(cycle->text(), "m.b -> m.c -> m.b");
  // A long chain does not exhaust the stack.
  std::vector<AppDef> chain;
  for (int i = 0; i < 50'000; ++i) {
    chain.push_back(app(("a" + std::to_string(i)).c_str(), {{"m", "a" + std::to_string(i + 1)}}));
  }
  EXPECT_FALSE(find_dependency_cycle(chain));
}

// ---- %VAR% -----------------------------------------------------------------------------------

TEST(ExpandVars, Rules) {
  const std::map<std::string, std::string, std::less<>> vars = {
      {"HOME", "/home/op"}, {"P", "50%"}, {"NESTED", "%HOME%"}, {"ProgramFiles(x86)", "pf"}};
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto found = vars.find(name);
    if (found == vars.end()) return std::nullopt;
    return found->second;
  };
  EXPECT_EQ(expand_vars("%HOME%/bin", lookup), "/home/op/bin");
  EXPECT_EQ(expand_vars("a%NOPE%b", lookup), "ab");  // unknown: empty
  EXPECT_EQ(expand_vars("100%%", lookup), "100%");   // %% is one %
  EXPECT_EQ(expand_vars("%%%HOME%%%", lookup), "%/home/op%");
  EXPECT_EQ(expand_vars("100%", lookup), "100%");  // a lone % stays
  EXPECT_EQ(expand_vars("50% off, 20% more", lookup), "50% off, 20% more");
  EXPECT_EQ(expand_vars("x% %HOME%", lookup), "x% /home/op");
  EXPECT_EQ(expand_vars("%P%", lookup), "50%");          // values are not expanded again
  EXPECT_EQ(expand_vars("%NESTED%", lookup), "%HOME%");  // single pass
  EXPECT_EQ(expand_vars("%ProgramFiles(x86)%", lookup), "pf");
  EXPECT_EQ(expand_vars("", lookup), "");
  EXPECT_EQ(expand_vars("no variables", lookup), "no variables");
}

// ---- the wire form ---------------------------------------------------------------------------

TEST(AppDefWire, RoundTripKeepsEveryField) {
  auto config = load_shared_config((kPlans / "dirigent-sample.xml").string());
  ASSERT_TRUE(config.ok()) << config.error().message;
  int apps = 0;
  for (const PlanDef& plan : config->plans) {
    for (const AppDef& app : plan.apps) {
      const std::string frame = proto::pack_to_string(app);
      auto back = proto::decode_frame<AppDef>(frame.data(), frame.size());
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_EQ(*back, app) << app.id().to_string();
      EXPECT_EQ(fingerprint(*back), fingerprint(app));
      ++apps;
    }
  }
  EXPECT_GT(apps, 5);
  // Hand-made: every optional piece set, negative codes.
  AppDef full;
  full.machine = "m1";
  full.app = "a.b";
  full.exe_full_path = "%X%/bin";
  full.config_dir = "/c";
  full.init_detectors.timeout_s = 1.5;
  full.init_detectors.exit_codes = {{-4, -1}, {3, 3}};
  full.init_detectors.heartbeat = true;
  full.soft_kill_timeout_s = 0.25;
  full.dependencies = {{"m2", "x"}};
  full.env_set = {{"A", "1"}};
  const std::string frame = proto::pack_to_string(full);
  auto back = proto::decode_frame<AppDef>(frame.data(), frame.size());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, full);
}

TEST(AppDefWire, MissingFieldsAndGarbage) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(3).pack("machine").pack("m1").pack("app").pack("a").pack("config_dir").pack("/");
  auto missing = proto::decode_frame<AppDef>(buffer.data(), buffer.size());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "missing field 'exe_full_path'");

  // Only the required fields: everything else takes its default.
  msgpack::sbuffer minimal;
  msgpack::packer<msgpack::sbuffer> pm(minimal);
  pm.pack_map(4).pack("machine").pack("m1").pack("app").pack("a").pack("config_dir").pack("/");
  pm.pack("exe_full_path").pack("x");
  auto defaults = proto::decode_frame<AppDef>(minimal.data(), minimal.size());
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->restart_max_tries, -1);
  EXPECT_EQ(defaults->restart_delay_s, 1.0);

  AppDef app;
  app.machine = "m1";
  app.app = "a";
  app.exe_full_path = "/bin/sleep";
  app.env_set = {{"A", "1"}};
  app.init_detectors.exit_codes = {{0, 2}};
  const std::string valid = proto::pack_to_string(app);
  std::mt19937 rng(2024);
  for (int i = 0; i < 20'000; ++i) {
    std::string frame = valid;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f)
      frame[rng() % frame.size()] = static_cast<char>(rng());
    if (rng() % 3 == 0) frame.resize(rng() % frame.size());
    EXPECT_NO_THROW((void)proto::decode_frame<AppDef>(frame.data(), frame.size()));
  }
}

// ---- garbage ---------------------------------------------------------------------------------

// Bounded: 3,000 random mutations of the sample file. The parser returns a config or an error and
// never throws or crashes (run under the sanitizers too).
TEST(SharedConfigFuzz, MutatedFilesNeverThrow) {
  std::ifstream in(kPlans / "dirigent-sample.xml");
  std::stringstream text;
  text << in.rdbuf();
  const std::string valid = text.str();
  ASSERT_FALSE(valid.empty());
  const std::string alphabet = "<>/=\"'&;%.-, \n\t!?[]#0123456789AppTemplateDependencies";
  std::mt19937 rng(777);
  int loaded = 0;
  for (int i = 0; i < 3'000; ++i) {
    std::string mutated = valid;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % mutated.size();
      switch (rng() % 4) {
        case 0:
          mutated[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          mutated.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          mutated.erase(at, 1 + rng() % 16);
          break;
        default:
          mutated[at] = static_cast<char>(rng());
          break;
      }
      if (mutated.empty()) mutated = "<";
    }
    if (rng() % 10 == 0) mutated.resize(rng() % mutated.size());
    Expected<SharedConfig> config = Error{""};
    EXPECT_NO_THROW(config = parse(mutated));
    if (config.ok()) {
      ++loaded;
    } else {
      EXPECT_FALSE(config.error().message.empty());
      EXPECT_FALSE(config.error().code.empty());
    }
  }
  EXPECT_GT(loaded, 0);  // some mutations land in comments or values and still load
}

}  // namespace
}  // namespace baton::config
