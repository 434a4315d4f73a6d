// The plan files of plans/, app ids, attribute values, dependency cycles, %VAR% expansion, the
// wire form of a definition, and mutated files that must never throw.
#include <gtest/gtest.h>

#include "tests/unit/shared_config_fixture.hpp"

namespace baton::config {
namespace {

using namespace test_config;
namespace fs = std::filesystem;

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
