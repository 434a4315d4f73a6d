// What the node remembers across its own restarts (a crash, kill -9, an upgrade): the deployed
// definitions, its variables, its sequence number, every app with the process it runs, and the
// application monitor's registrations. One small msgpack file in the state folder, replaced whole
// by rename, so a reader finds the old file or the new one, never half of one. No fsync: a node
// killed on a live machine loses nothing in the page cache, and after a machine crash there are no
// processes left to adopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/app_def.hpp"
#include "common/expected.hpp"
#include "common/os/unique_fd.hpp"
#include "common/proto/codec.hpp"

namespace baton::node {

inline constexpr int kStateVersion = 1;

// One app as the supervisor last saw it.
struct SavedApp {
  std::string app;
  std::string state;  // idle, running, dying, restart_wait
  std::int64_t pid = 0;
  std::uint64_t start_time = 0;  // process_start_time(pid) at launch
  std::string launch_id;
  std::uint64_t launches = 0;
  bool started = false;
  bool start_failed = false;
  bool killed = false;
  bool initialized = false;
  bool plan_applied = false;
  std::string plan;
  double started_at = 0;
  std::int64_t restarts = 0;
  std::optional<std::int64_t> exit_code;
  std::string last_error;
  static constexpr auto kFields = std::make_tuple(
      proto::required("app", &SavedApp::app), proto::required("state", &SavedApp::state),
      proto::required("pid", &SavedApp::pid), proto::required("start_time", &SavedApp::start_time),
      proto::required("launch_id", &SavedApp::launch_id),
      proto::required("launches", &SavedApp::launches),
      proto::required("started", &SavedApp::started),
      proto::required("start_failed", &SavedApp::start_failed),
      proto::required("killed", &SavedApp::killed),
      proto::required("initialized", &SavedApp::initialized),
      proto::required("plan_applied", &SavedApp::plan_applied),
      proto::required("plan", &SavedApp::plan),
      proto::required("started_at", &SavedApp::started_at),
      proto::required("restarts", &SavedApp::restarts),
      proto::optional("exit_code", &SavedApp::exit_code),
      proto::required("last_error", &SavedApp::last_error));
};

// One application monitor registration; the token stays the same, so the app's next refresh
// (through the SDK's new connection) finds it.
struct SavedRegistration {
  std::uint64_t token = 0;
  std::int64_t pid = 0;
  std::uint64_t start_time = 0;
  std::int64_t uid = 0;
  std::int64_t gid = 0;
  std::int64_t timeout_ms = 0;
  std::string action;
  std::string restart_command;
  std::string app;
  std::string cwd;
  static constexpr auto kFields =
      std::make_tuple(proto::required("token", &SavedRegistration::token),
                      proto::required("pid", &SavedRegistration::pid),
                      proto::required("start_time", &SavedRegistration::start_time),
                      proto::required("uid", &SavedRegistration::uid),
                      proto::required("gid", &SavedRegistration::gid),
                      proto::required("timeout_ms", &SavedRegistration::timeout_ms),
                      proto::required("action", &SavedRegistration::action),
                      proto::required("restart_command", &SavedRegistration::restart_command),
                      proto::required("app", &SavedRegistration::app),
                      proto::required("cwd", &SavedRegistration::cwd));
};

struct SavedVar {
  std::string name;
  std::string value;
  static constexpr auto kFields = std::make_tuple(proto::required("name", &SavedVar::name),
                                                  proto::required("value", &SavedVar::value));
};

// `registrations` stays the last field: pack_node_state() appends them already packed.
struct SavedNode {
  int v = kStateVersion;
  std::string machine;
  std::uint64_t seq = 0;
  std::vector<SavedVar> vars;
  std::vector<config::AppDef> definitions;
  std::vector<SavedApp> apps;
  std::vector<SavedRegistration> registrations;
  static constexpr auto kFields = std::make_tuple(
      proto::required("v", &SavedNode::v), proto::required("machine", &SavedNode::machine),
      proto::required("seq", &SavedNode::seq), proto::required("vars", &SavedNode::vars),
      proto::required("definitions", &SavedNode::definitions),
      proto::required("apps", &SavedNode::apps),
      proto::required("registrations", &SavedNode::registrations));
};

// <state_dir>/<machine>.state
std::string state_file_path(const std::string& state_dir, const std::string& machine);

// Creates the state folder and takes <state_dir>/<machine>.lock for as long as the returned fd is
// open: a second node for the same machine and folder would adopt the first one's apps. An Error
// says which process holds it.
Expected<UniqueFd> lock_state(const std::string& state_dir, const std::string& machine);

// The saved state; nothing when there is no file. An unreadable, malformed or foreign file is an
// Error naming the file (the caller starts afresh and keeps the file aside for a look).
Expected<std::optional<SavedNode>> load_node_state(const std::string& path,
                                                   const std::string& machine);
// Writes <path>.tmp and renames it over <path>.
Status save_node_state(const std::string& path, const SavedNode& state);
// The same for a state packed already (pack_node_state).
Status write_node_state(const std::string& path, std::string_view packed);

// `state` (its registrations empty) packed as save_node_state() writes it, with these
// registrations, each a SavedRegistration packed alone (pack_saved_registration). A registration
// never changes, so the node packs each once: a file of 10,000 is then a copy, not 10,000 packs.
// Into `out`, replacing what it held but keeping its capacity: a megabyte allocated afresh for
// every save is 256 page faults, which cost milliseconds on a virtual machine.
void pack_node_state(const SavedNode& state,
                     const std::vector<std::string_view>& packed_registrations, std::string& out);
std::string pack_node_state(const SavedNode& state,
                            const std::vector<std::string_view>& packed_registrations);
std::string pack_saved_registration(const SavedRegistration& registration);

}  // namespace baton::node
