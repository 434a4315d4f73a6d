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
#include "node/appmonitor/watchdog_table.hpp"
#include "node/apps/app_lifecycle.hpp"

namespace baton::node {

inline constexpr int kStateVersion = 1;

// One app as the supervisor last saw it: its lifecycle's record, and which process of which launch
// it runs.
struct SavedApp : AppRecord {
  std::string app;
  std::string launch_id;
  std::uint64_t launches = 0;
  std::uint64_t start_time = 0;  // process_start_time(pid) at launch
  static constexpr auto kFields =
      std::tuple_cat(std::make_tuple(proto::required("app", &SavedApp::app)), AppRecord::kFields,
                     std::make_tuple(proto::required("start_time", &SavedApp::start_time),
                                     proto::required("launch_id", &SavedApp::launch_id),
                                     proto::required("launches", &SavedApp::launches)));
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
  std::vector<RegistrationRecord> registrations;
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

// This node's instance id, kept in <state_dir>/<machine>.id and made at its first start (16 hex
// digits): the launch markers of its apps carry it, so that a restarted node tells its own
// processes from those of any other node.
Expected<std::string> node_instance_id(const std::string& state_dir, const std::string& machine);

// The saved state; nothing when there is no file. An unreadable, malformed or foreign file is an
// Error naming the file (the caller starts afresh and keeps the file aside for a look).
Expected<std::optional<SavedNode>> load_node_state(const std::string& path,
                                                   const std::string& machine);
// Writes <path>.tmp and renames it over <path>.
Status save_node_state(const std::string& path, const SavedNode& state);
// The same for a state packed already (pack_node_state).
Status write_node_state(const std::string& path, std::string_view packed);

// `state` (its registrations empty) packed as save_node_state() writes it, with these
// registrations, each a RegistrationRecord packed alone (pack_saved_registration). A registration
// never changes, so the node packs each once: a file of 10,000 is then a copy, not 10,000 packs.
// Into `out`, replacing what it held but keeping its capacity: a megabyte allocated afresh for
// every save is 256 page faults, which cost milliseconds on a virtual machine.
void pack_node_state(const SavedNode& state,
                     const std::vector<std::string_view>& packed_registrations, std::string& out);
std::string pack_node_state(const SavedNode& state,
                            const std::vector<std::string_view>& packed_registrations);
std::string pack_saved_registration(const RegistrationRecord& registration);

}  // namespace baton::node
