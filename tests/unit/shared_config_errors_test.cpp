// SharedConfig.xml that cannot load: each error with file, line and attribute; and what only warns.
#include <gtest/gtest.h>

#include "tests/unit/shared_config_fixture.hpp"

namespace baton::config {
namespace {

using namespace test_config;
namespace fs = std::filesystem;

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

}  // namespace
}  // namespace baton::config
