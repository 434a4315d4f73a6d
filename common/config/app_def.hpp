// One app as SharedConfig.xml defines it (docs/shared-config.md), templates resolved away.
//
// The broker builds these from the file and deploys them to the nodes over the bus, so AppDef is
// also the wire form: it lists its fields in kFields like every message (common/proto/codec.hpp),
// and pack_to_string()/decode<AppDef>() carry it whole. Text fields are kept as written: %VAR% is
// expanded by the node at each launch (expand_vars.hpp), and a relative ExeFullPath or StartupDir
// resolves against config_dir after that expansion, because a variable may turn a relative path
// into an absolute one.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/expected.hpp"
#include "common/proto/codec.hpp"

namespace baton::config {

// The longest duration a SharedConfig or a deploy may give, in seconds (about 31 years): every
// clock of the daemons converts it to nanoseconds in 64 bits without overflow.
inline constexpr double kMaxSeconds = 1e9;
// machine.app, whole: ids name bus topics, files and log lines, and a peer must not grow them.
inline constexpr std::size_t kMaxAppIdLength = 255;
// Each of machine and app (schemas/bus/app_state.json, app_def.json).
inline constexpr std::size_t kMaxAppIdPartLength = 128;

// "machine.app": the machine is everything before the first dot, the app id the rest (it may hold
// more dots).
struct AppId {
  std::string machine;
  std::string app;

  std::string to_string() const { return machine + "." + app; }
  auto operator<=>(const AppId&) const = default;
  static constexpr auto kFields = std::make_tuple(proto::required("machine", &AppId::machine),
                                                  proto::required("app", &AppId::app));
};

// Parses "machine.app". Without a dot, `default_machine` (when not empty) supplies the machine:
// Dependencies="b" means b on the dependent app's own machine. Neither part may be empty or hold
// white space, control characters, '/' (it would break bus topics), ';' (the Dependencies
// separator), '@' (Dirigent's app@plan) or '%' (variables); the machine part holds no '.'.
// At most kMaxAppIdLength characters, each part at most kMaxAppIdPartLength. The error message says
// what is wrong with `text`, without location.
Expected<AppId> parse_app_id(std::string_view text, std::string_view default_machine = {});

// An inclusive range of exit codes; a single code is a range of one.
struct ExitCodeRange {
  int first = 0;
  int last = 0;
  bool operator==(const ExitCodeRange&) const = default;
  static constexpr auto kFields = std::make_tuple(proto::required("first", &ExitCodeRange::first),
                                                  proto::required("last", &ExitCodeRange::last));
};

// When a launched app counts as Initialized. Every detector that is set applies and the first one
// met wins; none set: Initialized at launch. Several Timeout detectors reduce to the shortest and
// several ExitCode detectors to the union of their codes, so this flat form is exactly the list.
struct InitDetectors {
  std::optional<double> timeout_s;        // Timeout: still running this many seconds after launch
  std::vector<ExitCodeRange> exit_codes;  // ExitCode: exited with one of these (sorted, disjoint)
  bool heartbeat = false;                 // Heartbeat: first registered with the app monitor

  bool any() const { return timeout_s.has_value() || !exit_codes.empty() || heartbeat; }
  bool exit_code_matches(int code) const;
  // Adds the detectors of `other` (shortest timeout, union of codes, either heartbeat).
  void merge(const InitDetectors& other);

  bool operator==(const InitDetectors&) const = default;
  static constexpr auto kFields =
      std::make_tuple(proto::optional("timeout_s", &InitDetectors::timeout_s),
                      proto::optional("exit_codes", &InitDetectors::exit_codes),
                      proto::optional("heartbeat", &InitDetectors::heartbeat));
};

// Sorts ranges and joins the overlapping and adjacent ones: {5-7, 0, 1} -> {0-1, 5-7}.
std::vector<ExitCodeRange> normalize_exit_codes(std::vector<ExitCodeRange> ranges);

// <Env><Set Variable Value/> or <Env><Local Variable Value/>; Value kept with its %VAR%.
struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
  static constexpr auto kFields = std::make_tuple(proto::required("name", &EnvVar::name),
                                                  proto::required("value", &EnvVar::value));
};

struct AppDef {
  std::string machine;        // AppIdTuple before the first dot
  std::string app;            // AppIdTuple after it
  std::string exe_full_path;  // ExeFullPath, as written
  std::string startup_dir;    // StartupDir, as written; "" means config_dir
  std::string cmd_line_args;  // CmdLineArgs, as written
  std::string config_dir;     // absolute folder of the SharedConfig.xml (DIRIGENT_SHAREDCONFDIR)

  int startup_order = 0;     // StartupOrder: an order hint among apps a plan may start together
  bool is_volatile = false;  // Volatile: expected to exit on its own
  bool disabled = false;     // Disabled: skipped by plans

  bool restart_on_crash = false;  // RestartOnCrash
  int restart_max_tries = -1;     // <Restarter maxTries>: -1 forever
  double restart_delay_s = 1.0;   // <Restarter delay>

  InitDetectors init_detectors;      // InitCondition and <InitDetectors>
  std::vector<AppId> dependencies;   // Dependencies, machines filled in
  double separation_interval_s = 0;  // SeparationInterval: wait after launch before the next app

  bool kill_tree = false;  // KillTree: kill the whole process tree
  // SIGTERM first and SIGKILL when the app still runs this much later: <SoftKill><Close Timeout>,
  // or 10 s for KillSoftly="1". Unset: SIGKILL at once, as Dirigent does.
  std::optional<double> soft_kill_timeout_s;
  double min_killing_time_s = 0;  // MinKillingTime: report "killed" no earlier than this

  std::vector<EnvVar> env_set;            // <Env><Set>, in order of first definition
  std::vector<EnvVar> env_local;          // <Env><Local>: for %VAR% expansion only, not exported
  std::vector<std::string> path_prepend;  // <Env><Path Prepend>, ';' split, in PATH order
  std::vector<std::string> path_append;   // <Env><Path Append>, ';' split, in PATH order

  AppId id() const { return {machine, app}; }

  // Every field compares: the broker tells "definition unchanged" on reload with this.
  bool operator==(const AppDef&) const = default;

  static constexpr auto kFields = std::make_tuple(
      proto::required("machine", &AppDef::machine), proto::required("app", &AppDef::app),
      proto::required("exe_full_path", &AppDef::exe_full_path),
      proto::optional("startup_dir", &AppDef::startup_dir),
      proto::optional("cmd_line_args", &AppDef::cmd_line_args),
      proto::required("config_dir", &AppDef::config_dir),
      proto::optional("startup_order", &AppDef::startup_order),
      proto::optional("volatile", &AppDef::is_volatile),
      proto::optional("disabled", &AppDef::disabled),
      proto::optional("restart_on_crash", &AppDef::restart_on_crash),
      proto::optional("restart_max_tries", &AppDef::restart_max_tries),
      proto::optional("restart_delay_s", &AppDef::restart_delay_s),
      proto::optional("init_detectors", &AppDef::init_detectors),
      proto::optional("dependencies", &AppDef::dependencies),
      proto::optional("separation_interval_s", &AppDef::separation_interval_s),
      proto::optional("kill_tree", &AppDef::kill_tree),
      proto::optional("soft_kill_timeout_s", &AppDef::soft_kill_timeout_s),
      proto::optional("min_killing_time_s", &AppDef::min_killing_time_s),
      proto::optional("env_set", &AppDef::env_set),
      proto::optional("env_local", &AppDef::env_local),
      proto::optional("path_prepend", &AppDef::path_prepend),
      proto::optional("path_append", &AppDef::path_append));
};

// What decode<AppDef>() (a deploy from the bus) checks after reading the fields, so that a node
// never acts on a definition the SharedConfig reader would not have produced: machine and app form
// a valid id, so does every dependency, every duration is finite, not negative and at most
// kMaxSeconds, and every exit code range is in order.
Status check_decoded(const AppDef& app);

// A digest of every field (64-bit FNV-1a of the packed form): equal definitions have equal
// fingerprints in every process, so a node can report which definition it runs in a few bytes.
// Within one process compare with ==.
std::uint64_t fingerprint(const AppDef& app);

}  // namespace baton::config
