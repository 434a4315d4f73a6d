#include "cli/human_output.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <type_traits>

#include "cli/json_output.hpp"
#include "cli/table.hpp"
#include "common/os/exit_status.hpp"

namespace baton::cli {

namespace bus = proto::bus;
namespace control = proto::control;

namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string or_dash(const std::string& text) {
  return text.empty() ? "-" : text;
}

std::string without_control_characters(std::string text) {
  for (char& c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return text;
}

std::string describe(const bus::AppState& state) {
  std::string line =
      "status " + state.machine + "." + state.app + " " + or_dash(join(state.flags, ","));
  if (state.pid > 0) line += " pid " + std::to_string(state.pid);
  if (state.exit_code) line += " exit " + format_exit_code(state.exit_code);
  if (state.restarts > 0) line += " restarts " + std::to_string(state.restarts);
  if (!state.plan.empty()) line += " plan " + state.plan;
  if (state.error) line += " error: " + *state.error;
  return line;
}

std::string describe(const bus::Event& event) {
  std::string line =
      "event " + event.machine + "." + event.app + " " + std::string(proto::to_name(event.kind));
  if (!event.details.empty()) line += ": " + event.details;
  return line;
}

std::string describe(const bus::NodeState& node) {
  if (!node.online) return "node " + node.machine + " offline";
  return "node " + node.machine + " online apps " + std::to_string(node.apps) + " registrations " +
         std::to_string(node.registrations) + " uptime " + format_duration(node.uptime);
}

std::uint64_t used_memory(const bus::MachineUsage& host) {
  return host.memory_total_bytes > host.memory_available_bytes
             ? host.memory_total_bytes - host.memory_available_bytes
             : 0;
}

std::string describe(const bus::UsageReport& report) {
  const bus::MachineUsage& host = report.host;
  char line[160];
  std::snprintf(line, sizeof line, "usage %s cpu %.1f%% memory %s/%s load %.2f apps %zu",
                report.machine.c_str(), host.cpu_percent, format_bytes(used_memory(host)).c_str(),
                format_bytes(host.memory_total_bytes).c_str(), host.load1, report.apps.size());
  std::string out = line;
  for (const auto& app : report.apps) {
    std::snprintf(line, sizeof line, " %s:%.1f%%/%s", app.app.c_str(), app.cpu_percent,
                  format_bytes(app.rss_bytes).c_str());
    out += line;
  }
  return out;
}

std::string describe(const control::PlanState& plan) {
  std::string line = "plan " + plan.plan + " " + plan.status;
  if (plan.reason) line += " (" + *plan.reason + ")";
  for (const auto& app : plan.apps)
    line += " " + app.app + ":" + app.status;
  return line;
}

}  // namespace

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string format_flags(const control::AppStatus& status) {
  const std::string flags = join(status.state.flags, ",");
  if (status.online) return or_dash(flags);
  return flags.empty() ? "offline" : "offline (was " + flags + ")";
}

std::string format_exit_code(const std::optional<std::int64_t>& exit_code) {
  if (!exit_code) return "-";
  if (*exit_code < 0) return signal_name(static_cast<int>(-*exit_code));
  return std::to_string(*exit_code);
}

std::string format_app_uptime(const bus::AppState& state, double now) {
  if (state.pid <= 0 || state.started_at <= 0 || !bus::has_flag(state.flags, bus::AppFlag::Running))
    return "-";
  return format_duration(now - state.started_at);
}

std::string format_bytes(std::uint64_t bytes) {
  constexpr const char* kUnits[] = {"K", "M", "G", "T"};
  if (bytes < 1024) return std::to_string(bytes) + "B";
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  // Kilobytes whole ("12K"); larger units with one decimal below 100 ("50.0M", "1.2G").
  char text[32];
  std::snprintf(text, sizeof text, unit > 0 && value < 100 ? "%.1f%s" : "%.0f%s", value,
                kUnits[unit]);
  return text;
}

std::string format_percent(double percent) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", percent);
  return text;
}

std::string format_cpu(const std::optional<bus::AppUsage>& usage) {
  return usage ? format_percent(usage->cpu_percent) : "-";
}

std::string format_memory(const std::optional<bus::AppUsage>& usage) {
  return usage ? format_bytes(usage->rss_bytes) : "-";
}

std::string render_app_statuses(const std::vector<control::AppStatus>& apps, double now) {
  Table table({{"APP"},
               {"FLAGS"},
               {"PID", Align::kRight},
               {"CPU%", Align::kRight},
               {"MEM", Align::kRight},
               {"EXIT", Align::kRight},
               {"RESTARTS", Align::kRight},
               {"PLAN"},
               {"UPTIME"}});
  for (const auto& status : apps) {
    const bus::AppState& state = status.state;
    table.add_row({state.machine + "." + state.app, format_flags(status),
                   state.pid > 0 ? std::to_string(state.pid) : "-", format_cpu(status.usage),
                   format_memory(status.usage), format_exit_code(state.exit_code),
                   std::to_string(state.restarts), or_dash(state.plan),
                   format_app_uptime(state, now)});
  }
  return table.render();
}

std::string render_top(const std::vector<control::AppStatus>& apps, const std::string& machine,
                       bool by_memory, std::size_t rows, double now) {
  std::vector<const control::AppStatus*> running;
  double cpu = 0;
  std::uint64_t memory = 0;
  for (const auto& app : apps) {
    if (!app.usage || (!machine.empty() && app.state.machine != machine)) continue;
    running.push_back(&app);
    cpu += app.usage->cpu_percent;
    memory += app.usage->rss_bytes;
  }
  // Ties (idle apps) in id order, so that the table does not shuffle between two snapshots.
  std::stable_sort(running.begin(), running.end(), [by_memory](const auto* a, const auto* b) {
    return by_memory ? a->usage->rss_bytes > b->usage->rss_bytes
                     : a->usage->cpu_percent > b->usage->cpu_percent;
  });
  char summary[160];
  std::snprintf(summary, sizeof summary, "%zu apps running%s%s: cpu %.1f%%, memory %s, by %s\n",
                running.size(), machine.empty() ? "" : " on ", machine.c_str(), cpu,
                format_bytes(memory).c_str(), by_memory ? "memory" : "cpu");
  Table table({{"APP"},
               {"CPU%", Align::kRight},
               {"MEM", Align::kRight},
               {"THREADS", Align::kRight},
               {"FILES", Align::kRight},
               {"PROCS", Align::kRight},
               {"PID", Align::kRight},
               {"UPTIME"}});
  for (std::size_t i = 0; i < running.size() && (rows == 0 || i < rows); ++i) {
    const control::AppStatus& app = *running[i];
    const bus::AppUsage& usage = *app.usage;
    table.add_row({app.state.machine + "." + app.state.app, format_percent(usage.cpu_percent),
                   format_bytes(usage.rss_bytes), std::to_string(usage.threads),
                   std::to_string(usage.open_files), std::to_string(usage.processes),
                   std::to_string(app.state.pid), format_app_uptime(app.state, now)});
  }
  return summary + table.render();
}

std::string render_plan_state(const control::PlanState& plan) {
  std::string out = "plan " + plan.plan + ": " + plan.status + "\n";
  if (plan.reason) out += "reason: " + *plan.reason + "\n";
  Table table({{"APP"}, {"STATUS"}});
  for (const auto& app : plan.apps)
    table.add_row({app.app, app.status});
  return out + table.render();
}

std::string render_plans(const std::vector<control::PlanState>& plans) {
  Table table({{"PLAN"}, {"STATUS"}});
  for (const auto& plan : plans)
    table.add_row({plan.plan, plan.status});
  return table.render();
}

std::string render_machines(const std::vector<control::MachineStatus>& machines, double now) {
  Table table({{"MACHINE"},
               {"STATE"},
               {"APPS", Align::kRight},
               {"REGISTRATIONS", Align::kRight},
               {"CPU%", Align::kRight},
               {"MEMORY", Align::kRight},
               {"LOAD"},
               {"ADDRESS"},
               {"UPTIME"},
               {"LAST SEEN"}});
  for (const auto& machine : machines) {
    const bus::NodeState& node = machine.node;
    std::string cpu = "-", memory = "-", load = "-", address = "-";
    if (const auto& usage = machine.usage) {
      cpu = format_percent(usage->cpu_percent);
      memory = format_bytes(used_memory(*usage)) + "/" + format_bytes(usage->memory_total_bytes);
      char text[64];
      std::snprintf(text, sizeof text, "%.2f %.2f %.2f", usage->load1, usage->load5, usage->load15);
      load = text;
      if (!usage->addresses.empty()) address = usage->addresses.front();
    }
    table.add_row(
        {node.machine, node.online ? "online" : "offline", std::to_string(node.apps),
         std::to_string(node.registrations), cpu, memory, load, address,
         node.online ? format_duration(node.uptime) : "-",
         machine.last_seen > 0 ? format_duration(now - machine.last_seen) + " ago" : "never"});
  }
  return table.render();
}

std::string render_reload(const control::ReloadResult& reload) {
  std::string out;
  auto section = [&](std::string_view name, const std::vector<std::string>& apps) {
    if (!apps.empty()) out += std::string(name) + ": " + join(apps, ", ") + "\n";
  };
  section("added", reload.added);
  section("changed", reload.changed);
  section("removed", reload.removed);
  if (out.empty()) out = "no app changed\n";
  for (const auto& warning : reload.warnings)
    out += "warning: " + warning + "\n";
  return out;
}

std::string describe_bus_message(std::string_view topic, const BusMessage& message) {
  return without_control_characters(std::visit(
      [&](const auto& m) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, OtherBusMessage>) {
          return std::string(topic) + " " + dump_json(to_json(*m.payload));
        } else {
          return describe(m);
        }
      },
      message));
}

}  // namespace baton::cli
