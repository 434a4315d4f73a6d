#include "bench/idle_plan_fleet.hpp"
#include "harness/child_process.hpp"
#include "harness/control_client.hpp"
#include "harness/fleet_processes.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace baton::bench {

namespace control = proto::control;
using namespace std::chrono_literals;

namespace {

// a0000, a0001, ...: the plan's order is also the names' order.
std::string app_name(std::size_t i) {
  std::string digits = std::to_string(i);
  return "a" + std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
}

std::string write_config(const harness::TempDir& dir, const std::string& plan, std::size_t apps) {
  const std::string path = dir / "SharedConfig.xml";
  std::ofstream out(path);
  // No StartTimeout: a slow machine must not turn a long launch into a Failure mid-measurement.
  out << "<Shared>\n  <Plan Name=\"" << plan << "\">\n";
  for (std::size_t i = 0; i < apps; ++i) {
    out << "    <App AppIdTuple=\"" << IdlePlanFleet::kMachine << "." << app_name(i)
        << "\" ExeFullPath=\"" << harness::binary_path("idle_app") << "\"/>\n";
  }
  out << "  </Plan>\n</Shared>\n";
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

bool process_gone(std::int64_t pid) {
  return pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
}

}  // namespace

IdlePlanFleet::IdlePlanFleet(std::size_t apps, std::string plan,
                             std::vector<std::string> broker_args)
    : plan_(std::move(plan)) {
  for (std::size_t i = 0; i < apps; ++i)
    app_ids_.push_back(std::string(kMachine) + "." + app_name(i));
  const std::string config = write_config(dir_, plan_, apps);
  // tcp://, as a fleet's nodes reach their broker (the footprint's baseline publishes over tcp://
  // too); --insecure: what is measured is the daemons, not CURVE.
  broker_args.push_back("--insecure");
  broker_ = std::make_unique<harness::BrokerProcess>(
      dir_, config, harness::BrokerEndpoints::loopback_tcp(), std::move(broker_args));
  node_ = std::make_unique<harness::FleetNode>(dir_, kMachine, broker_->endpoints().control,
                                               std::vector<std::string>{"--insecure"});
  control_ = std::make_unique<harness::ControlClient>(broker_->endpoints().control);
  // The node publishes the state of every app it was deployed, right after the deploy that
  // follows its subscription: once the broker has them all, commands reach a deployed node.
  const bool ready = harness::wait_until(
      [&] {
        auto all = control_->all_apps();
        for (const auto& id : app_ids_) {
          auto it = all.find(id);
          if (it == all.end() || !it->second.online || it->second.state.seq == 0) return false;
        }
        return true;
      },
      30s);
  if (!ready) throw std::runtime_error("the node did not come online with its apps:\n" + logs());
}

IdlePlanFleet::~IdlePlanFleet() {
  // The apps live in their own sessions: killing the node the hard way would leave them behind.
  // The node stops them on SIGTERM; what survives a node that had to be SIGKILLed is ended here,
  // by the pids the broker knew.
  std::vector<std::int64_t> pids;
  try {
    for (const auto& [id, status] : control_->all_apps())
      pids.push_back(status.state.pid);
  } catch (const std::exception&) {
  }
  node_->process().terminate(10s);
  const std::string idle_app = harness::binary_path("idle_app");
  for (auto pid : pids) {
    if (process_gone(pid)) continue;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
    if (!ec && exe == idle_app) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
  broker_->process().terminate(10s);
}

std::string IdlePlanFleet::logs() const {
  // A thousand apps log thousands of lines: the end says what went wrong.
  auto tail = [](const std::string& log) {
    constexpr std::size_t kTail = 3000;
    return log.size() <= kTail ? log : "..." + log.substr(log.size() - kTail);
  };
  return "--- broker\n" + (broker_ ? tail(broker_->log()) : "") + "--- node\n" +
         (node_ ? tail(node_->log()) : "");
}

void IdlePlanFleet::start_plan() {
  auto reply = control_->request("plan_start", control::PlanArgs{plan_});
  if (!reply || !reply->ok) {
    throw std::runtime_error("plan_start " + plan_ +
                             " failed: " + (reply ? reply->error : "no answer") + "\n" + logs());
  }
}

void IdlePlanFleet::wait_all_running(std::chrono::milliseconds deadline) {
  const bool running = harness::wait_until(
      [&] {
        auto all = control_->all_apps();
        for (const auto& id : app_ids_) {
          auto it = all.find(id);
          if (it == all.end() || !harness::has_flag(it->second.state, "Running")) return false;
        }
        return true;
      },
      deadline);
  if (!running)
    throw std::runtime_error("the apps of plan " + plan_ + " did not all run:\n" + logs());
}

void IdlePlanFleet::kill_plan_and_wait(std::chrono::milliseconds deadline) {
  std::vector<std::int64_t> pids;
  for (const auto& [id, status] : control_->all_apps())
    pids.push_back(status.state.pid);
  auto reply = control_->request("plan_kill", control::PlanArgs{plan_});
  if (!reply || !reply->ok) {
    throw std::runtime_error("plan_kill " + plan_ +
                             " failed: " + (reply ? reply->error : "no answer") + "\n" + logs());
  }
  const bool down = harness::wait_until(
      [&] {
        auto state = control_->plan(plan_);
        if (!state || state->status != "None") return false;
        for (const auto& [id, status] : control_->all_apps()) {
          if (harness::has_flag(status.state, "Running") ||
              harness::has_flag(status.state, "Dying"))
            return false;
        }
        for (auto pid : pids) {
          if (!process_gone(pid)) return false;
        }
        return true;
      },
      deadline);
  if (!down) throw std::runtime_error("plan " + plan_ + " did not go down:\n" + logs());
}

}  // namespace baton::bench
