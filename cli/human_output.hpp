// The command line's human output: tables of the broker's answers and one line per bus message.
// Everything here is a pure function of its arguments (the current time included), so tests pin
// the exact text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/bus_message.hpp"
#include "common/proto/bus.hpp"
#include "common/proto/control.hpp"

namespace baton::cli {

// Seconds since the epoch, the unit of started_at and last_seen.
double now_seconds();

// FLAGS of an app: its flags comma-joined ("-" when none); an app whose machine is offline shows
// "offline", with the flags it last reported: "offline (was Started,Running)".
std::string format_flags(const proto::control::AppStatus& status);
// EXIT of an app: "-" before its first exit, the code, or the signal that killed it ("SIGKILL").
std::string format_exit_code(const std::optional<std::int64_t>& exit_code);
// UPTIME of an app: how long its process has run (from started_at), "-" when it is not running.
std::string format_app_uptime(const proto::bus::AppState& state, double now);

// Bytes in their short human form, powers of 1024: "512B", "12K", "50.0M", "1.2G".
std::string format_bytes(std::uint64_t bytes);
// A percentage with one decimal: "37.5".
std::string format_percent(double percent);
// CPU% of an app and its memory: "-" without a usage report for it.
std::string format_cpu(const std::optional<proto::bus::AppUsage>& usage);
std::string format_memory(const std::optional<proto::bus::AppUsage>& usage);

// The table of `baton status`: APP FLAGS PID CPU% MEM EXIT RESTARTS PLAN UPTIME.
std::string render_app_statuses(const std::vector<proto::control::AppStatus>& apps, double now);
// `baton top`: the running apps with a usage report (of `machine` alone when not empty), the
// busiest first by CPU% (or by memory when `by_memory`): a summary line, then APP CPU% MEM
// THREADS FILES PROCS PID UPTIME. At most `rows` apps (0: all).
std::string render_top(const std::vector<proto::control::AppStatus>& apps,
                       const std::string& machine, bool by_memory, std::size_t rows, double now);
// `baton plan status`: the plan's status line, why it failed, and the table of its apps.
std::string render_plan_state(const proto::control::PlanState& plan);
// `baton plans`: PLAN STATUS.
std::string render_plans(const std::vector<proto::control::PlanState>& plans);
// `baton machines`: MACHINE STATE APPS REGISTRATIONS CPU% MEMORY LOAD ADDRESS UPTIME LAST-SEEN.
// MEMORY is used/total; ADDRESS the first the node reports (its others follow with --json).
std::string render_machines(const std::vector<proto::control::MachineStatus>& machines, double now);
// `baton reload`: which apps were added, changed and removed, then one line per warning.
std::string render_reload(const proto::control::ReloadResult& reload);

// One line (without '\n') for a bus message of `baton watch`. Control characters a peer put in a
// field become blanks, so that one message is always one line.
std::string describe_bus_message(std::string_view topic, const BusMessage& message);

}  // namespace baton::cli
