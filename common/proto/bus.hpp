// Messages on the bus (docs/protocol.md, Bus): two frames [topic, msgpack map with "v": 1].
// Nodes publish status, events and replies to the broker's ingest socket; the broker relays them on
// its bus socket and sends commands to one node on cmd/<machine>/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/expected.hpp"
#include "common/proto/codec.hpp"
#include "common/proto/vocabulary.hpp"

namespace baton::proto::bus {

inline constexpr int kVersion = 1;
inline constexpr std::int64_t kMaxFrameBytes = 4 * 1024 * 1024;  // a deploy of many apps fits

// Topic builders. A receiver compares whole topics: "cmd/m1" must not act on "cmd/m10".
// Every command topic starts with this; a machine's ends with "/" (cmd/<machine>/), so that no
// machine's command topic is a prefix of another's: a subscription matches by prefix, and a node
// key granted cmd/m1/ must not receive the commands of m10.
inline constexpr std::string_view kCommandPrefix = "cmd/";
std::string status_topic(std::string_view machine, std::string_view app);
std::string event_topic(std::string_view machine, std::string_view app);
std::string node_topic(std::string_view machine);
std::string plan_topic(std::string_view plan);
std::string command_topic(std::string_view machine);
std::string reply_topic(std::string_view client);
std::string usage_topic(std::string_view machine);
// log/<machine>/<app>/ and log/<machine>/: like cmd/, the trailing "/" keeps a subscription to
// app "web" from taking the lines of "web2".
inline constexpr std::string_view kLogPrefix = "log/";
std::string log_topic(std::string_view machine, std::string_view app);
std::string log_machine_topic(std::string_view machine);

// status/<machine>/<app>: the whole state of one app, published on every change.
struct AppState {
  int v = kVersion;
  std::string machine;
  std::string app;
  // Names of AppFlag, in its order. Names rather than AppFlag: a flag a newer node adds must not
  // make its whole state undecodable for an older broker. Test one with has_flag().
  std::vector<std::string> flags;
  std::int64_t pid = 0;                   // 0: no process
  std::optional<std::int64_t> exit_code;  // of the last run; negative: killed by that signal
  std::int64_t restarts = 0;
  std::string plan;                  // plan context of the last launch, "" when none
  double started_at = 0;             // seconds since the epoch of the last launch, 0: never
  std::uint64_t seq = 0;             // the publishing node's sequence number, increasing
  std::optional<std::string> error;  // why the last launch failed (StartFailed)
  static constexpr auto kFields =
      std::make_tuple(required("v", &AppState::v), required("machine", &AppState::machine),
                      required("app", &AppState::app), required("flags", &AppState::flags),
                      required("pid", &AppState::pid), optional("exit_code", &AppState::exit_code),
                      required("restarts", &AppState::restarts), required("plan", &AppState::plan),
                      required("started_at", &AppState::started_at),
                      required("seq", &AppState::seq), optional("error", &AppState::error));
};

// Whether `flags` (an AppState's) holds `flag`.
bool has_flag(const std::vector<std::string>& flags, AppFlag flag);

// event/<machine>/<app>: something happened, as it happens.
struct Event {
  int v = kVersion;
  std::string machine;
  std::string app;
  EventKind kind = EventKind::launched;
  double time = 0;  // seconds since the epoch
  std::string details;
  std::uint64_t seq = 0;
  static constexpr auto kFields = std::make_tuple(
      required("v", &Event::v), required("machine", &Event::machine), required("app", &Event::app),
      required("kind", &Event::kind), required("time", &Event::time),
      required("details", &Event::details), required("seq", &Event::seq));
};

// node/<machine>: presence, every second, when the node (re)connects and when it stops.
struct NodeState {
  int v = kVersion;
  std::string machine;
  bool online = true;
  std::int64_t apps = 0;           // app definitions deployed
  std::int64_t registrations = 0;  // application monitor registrations
  double uptime = 0;               // seconds
  std::uint64_t seq = 0;
  static constexpr auto kFields =
      std::make_tuple(required("v", &NodeState::v), required("machine", &NodeState::machine),
                      required("online", &NodeState::online), required("apps", &NodeState::apps),
                      required("registrations", &NodeState::registrations),
                      required("uptime", &NodeState::uptime), required("seq", &NodeState::seq));
};

// What one running app uses, summed over its process tree.
struct AppUsage {
  std::string app;
  double cpu_percent = 0;  // of one core, over the last interval
  double cpu_seconds = 0;  // of the live processes and the children they waited for
  std::uint64_t rss_bytes = 0;
  std::uint32_t threads = 0;
  std::uint32_t open_files = 0;
  std::uint32_t processes = 0;
  static constexpr auto kFields = std::make_tuple(
      required("app", &AppUsage::app), required("cpu_percent", &AppUsage::cpu_percent),
      required("cpu_seconds", &AppUsage::cpu_seconds), required("rss_bytes", &AppUsage::rss_bytes),
      required("threads", &AppUsage::threads), required("open_files", &AppUsage::open_files),
      required("processes", &AppUsage::processes));
};

// What the whole machine uses.
struct MachineUsage {
  double cpu_percent = 0;  // of all cores together, over the last interval
  std::uint32_t cpus = 0;
  std::uint64_t memory_total_bytes = 0;
  std::uint64_t memory_available_bytes = 0;
  double load1 = 0, load5 = 0, load15 = 0;
  std::vector<std::string> addresses;  // IPv4, then IPv6, loopback last
  static constexpr auto kFields = std::make_tuple(
      required("cpu_percent", &MachineUsage::cpu_percent), required("cpus", &MachineUsage::cpus),
      required("memory_total_bytes", &MachineUsage::memory_total_bytes),
      required("memory_available_bytes", &MachineUsage::memory_available_bytes),
      required("load1", &MachineUsage::load1), required("load5", &MachineUsage::load5),
      required("load15", &MachineUsage::load15), required("addresses", &MachineUsage::addresses));
};

// usage/<machine>: the machine's and each running app's usage, every --usage-interval.
struct UsageReport {
  int v = kVersion;
  std::string machine;
  double time = 0;      // seconds since the epoch
  double interval = 0;  // seconds: the next report is due after it
  MachineUsage host;
  std::vector<AppUsage> apps;
  std::uint64_t seq = 0;
  static constexpr auto kFields = std::make_tuple(
      required("v", &UsageReport::v), required("machine", &UsageReport::machine),
      required("time", &UsageReport::time), required("interval", &UsageReport::interval),
      required("host", &UsageReport::host), required("apps", &UsageReport::apps),
      required("seq", &UsageReport::seq));
};

// log/<machine>/<app>/: lines of an app's output, published by its node only while someone
// subscribes to them. Lines are numbered per app from the node's start, so that a follower sees
// what it missed (dropped on the way, or written before it joined) as a gap in the numbers. An
// empty `lines` is the node's answer to a new subscription: from now on it publishes.
struct LogLines {
  int v = kVersion;
  std::string machine;
  std::string app;
  std::uint64_t stream = 0;  // the node process's: numbering starts again in a new stream
  std::uint64_t seq = 0;     // the number of lines[0]; of the next line when `lines` is empty
  std::vector<std::string> lines;
  static constexpr auto kFields =
      std::make_tuple(required("v", &LogLines::v), required("machine", &LogLines::machine),
                      required("app", &LogLines::app), required("stream", &LogLines::stream),
                      required("seq", &LogLines::seq), required("lines", &LogLines::lines));
};
// A longer line travels in pieces of this size, each but the last ending with kLineContinues.
inline constexpr std::size_t kMaxLogLineBytes = 8 * 1024;
inline constexpr std::string_view kLineContinues = " [continues]";

// cmd/<machine>/: the envelope of a command; its "args" map is decoded per op (see below).
struct CommandHeader {
  int v = kVersion;
  std::string id;  // chosen by the sender, echoed in the reply
  // A name of CommandOp. Decoded as a string so that an op this node does not know is still
  // answered, with an error naming it.
  std::string op;
  std::string reply_to;  // the reply goes to reply/<reply_to>
  static constexpr auto kFields = std::make_tuple(
      required("v", &CommandHeader::v), required("id", &CommandHeader::id),
      required("op", &CommandHeader::op), required("reply_to", &CommandHeader::reply_to));
};

// args of launch, kill and restart.
struct AppCommandArgs {
  std::string app;
  std::optional<std::string> plan;  // launch: the plan context (sets PlanApplied)
  std::optional<bool> by_plan;      // kill: KillPlan (no Killed flag, clears PlanApplied)
  static constexpr auto kFields = std::make_tuple(required("app", &AppCommandArgs::app),
                                                  optional("plan", &AppCommandArgs::plan),
                                                  optional("by_plan", &AppCommandArgs::by_plan));
};

// "vars" of set_vars: names and values in the sender's order ("" unsets). Its conversion takes
// anything and notes what it was, so that check_decoded refuses a malformed one in the protocol's
// own words rather than as "the wrong type".
struct Variables {
  enum class Shape { map_of_strings, not_a_map, not_all_strings };
  // Up to the first entry that is not a pair of strings.
  std::vector<std::pair<std::string, std::string>> assignments;
  Shape shape = Shape::map_of_strings;
};

// args of set_vars: "VAR": "value" sets, "VAR": "" unsets.
struct SetVarsArgs {
  std::optional<Variables> vars;  // always present once decoded (check_decoded)
  static constexpr auto kFields = std::make_tuple(optional("vars", &SetVarsArgs::vars));
};
// "vars" is a map of valid names (not empty, no '=') to strings.
Status check_decoded(const SetVarsArgs& args);

// args of tail: the last lines of an app's output log, of those written since `since` when set.
struct TailArgs {
  std::string app;
  std::uint32_t lines = 20;
  std::optional<double> since;  // seconds since the epoch
  static constexpr auto kFields =
      std::make_tuple(required("app", &TailArgs::app), required("lines", &TailArgs::lines),
                      optional("since", &TailArgs::since));
};
// The most lines one tail returns, and about the most bytes (a reply is one frame).
inline constexpr std::uint32_t kMaxTailLines = 100'000;
inline constexpr std::size_t kMaxTailBytes = 2 * 1024 * 1024;

// The result of tail (and of the control op logs): the lines, oldest first.
struct TailResult {
  std::vector<std::string> lines;
  bool truncated = false;  // fewer lines than asked: the byte limit, not the log's start
  // The number (LogLines::seq) the next line published on log/ will have: a follower that asked
  // for the tail after its subscription took effect shows only live lines from this one on.
  std::optional<std::uint64_t> next_seq;
  std::optional<std::uint64_t> stream;  // LogLines::stream, which next_seq belongs to
  // The request's `since`, echoed by a node that applied it: a node (or broker) older than the
  // field ignores it and leaves this out, which the asker must not take for an answer.
  std::optional<double> since;
  static constexpr auto kFields = std::make_tuple(
      required("lines", &TailResult::lines), required("truncated", &TailResult::truncated),
      optional("next_seq", &TailResult::next_seq), optional("stream", &TailResult::stream),
      optional("since", &TailResult::since));
};

// The result of get_state: the state of every app of the node.
struct StateResult {
  std::vector<AppState> apps;
  static constexpr auto kFields = std::make_tuple(required("apps", &StateResult::apps));
};

// reply/<client>: the answer to one command.
struct ReplyHeader {
  int v = kVersion;
  std::string id;
  bool ok = true;
  std::optional<std::string> error;
  std::optional<std::string> machine;  // the node that answered
  static constexpr auto kFields =
      std::make_tuple(required("v", &ReplyHeader::v), required("id", &ReplyHeader::id),
                      required("ok", &ReplyHeader::ok), optional("error", &ReplyHeader::error),
                      optional("machine", &ReplyHeader::machine));
};

// Packs a message with kFields as one map, adding `extra_key` with a value packed by `pack_extra`
// (a nested map or array: a command's args, a reply's result).
template <class T, class PackExtra>
std::string pack_with(const T& msg, std::string_view extra_key, PackExtra&& pack_extra) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(static_cast<std::uint32_t>(field_count(msg) + 1));
  std::apply([&](const auto&... f) { (detail::pack_field(pk, msg, f), ...); }, T::kFields);
  pk.pack(extra_key);
  pack_extra(pk);
  return std::string(buffer.data(), buffer.size());
}

template <class Args>
std::string pack_command(const CommandHeader& header, const Args& args) {
  return pack_with(header, "args", [&](auto& pk) { pack_message(pk, args); });
}

}  // namespace baton::proto::bus

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  template <>
  struct pack<baton::proto::bus::Variables> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& pk,
                                        const baton::proto::bus::Variables& vars) const {
      pk.pack_map(static_cast<std::uint32_t>(vars.assignments.size()));
      for (const auto& [name, value] : vars.assignments)
        pk.pack(name).pack(value);
      return pk;
    }
  };
  template <>
  struct convert<baton::proto::bus::Variables> {
    const msgpack::object& operator()(const msgpack::object& object,
                                      baton::proto::bus::Variables& vars) const;
  };
  }  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack
