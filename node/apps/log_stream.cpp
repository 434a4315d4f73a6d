#include "node/apps/log_stream.hpp"

#include <chrono>
#include <utility>

#include "common/proto/bus.hpp"
#include "common/proto/codec.hpp"

namespace baton::node {

namespace bus = proto::bus;

namespace {

// Lines go out in messages of about this much text: few messages for a fast writer, and a small
// bound on what one message queued for a follower that stopped reading can hold.
constexpr std::size_t kBatchBytes = 16 * 1024;

std::uint64_t microseconds_since_epoch() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

LogStream::LogStream(std::string machine, Publish publish, AppIds app_ids)
    : machine_(std::move(machine)),
      publish_(std::move(publish)),
      app_ids_(std::move(app_ids)),
      // Unique per node process, so that a follower tells a restarted node's numbering apart.
      stream_(microseconds_since_epoch()) {}

LogStream::App& LogStream::entry(const std::string& id) {
  auto it = apps_.find(id);
  if (it != apps_.end()) return it->second;
  App& created = apps_[id];
  created.topic = bus::log_topic(machine_, id);
  created.followed = covered(created.topic);
  return created;
}

bool LogStream::covered(const std::string& topic) const {
  for (const auto& prefix : subscriptions_) {
    if (topic.starts_with(prefix)) return true;
  }
  return false;
}

std::uint64_t LogStream::next_seq(const std::string& app) const {
  auto it = apps_.find(app);
  return it == apps_.end() ? 0 : it->second.next_seq;
}

void LogStream::subscription(bool subscribe, std::string_view topic) {
  if (!subscribe && topic.empty()) {
    subscriptions_.clear();
    for (auto& [id, app] : apps_)
      app.followed = false;
    return;
  }
  if (!topic.starts_with(bus::kLogPrefix)) return;
  if (!subscribe) {
    subscriptions_.erase(std::string(topic));
    for (auto& [id, app] : apps_)
      app.followed = covered(app.topic);
    return;
  }
  subscriptions_.emplace(topic);
  // Each follower's subscription arrives (the node's socket is verbose), so each is answered.
  const std::string machine_topic = bus::log_machine_topic(machine_);
  if (topic.starts_with(machine_topic) && topic.size() > machine_topic.size() &&
      topic.ends_with('/')) {
    const std::string id(
        topic.substr(machine_topic.size(), topic.size() - machine_topic.size() - 1));
    if (id.find('/') == std::string::npos) {
      App& one = entry(id);
      one.followed = true;
      announce(id, one);
      return;
    }
  }
  for (auto& [id, app] : apps_)
    app.followed = covered(app.topic);
  if (!machine_topic.starts_with(topic) && !topic.starts_with(machine_topic)) return;
  for (const auto& id : app_ids_()) {
    App& each = entry(id);
    if (each.topic.starts_with(topic)) announce(id, each);
  }
}

void LogStream::announce(const std::string& id, App& app) {
  bus::LogLines empty;
  empty.machine = machine_;
  empty.app = id;
  empty.stream = stream_;
  empty.seq = app.next_seq;
  publish_(app.topic, proto::pack_to_string(empty));
}

void LogStream::output(const std::string& id, std::string_view text) {
  auto it = apps_.find(id);
  if (it == apps_.end() && subscriptions_.empty()) return;
  App& app = it != apps_.end() ? it->second : entry(id);
  if (!app.followed) return;
  std::size_t count = 0;
  std::size_t bytes = 0;
  auto add = [&](std::string_view piece, bool continues) {
    if (count == batch_.size()) batch_.emplace_back();
    std::string& line = batch_[count++];
    line.assign(piece);
    if (continues) line.append(bus::kLineContinues);
    bytes += line.size();
    if (bytes >= kBatchBytes) {
      publish(id, app, batch_, count);
      count = 0;
      bytes = 0;
    }
  };
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    while (line.size() > bus::kMaxLogLineBytes) {
      add(line.substr(0, bus::kMaxLogLineBytes), true);
      line.remove_prefix(bus::kMaxLogLineBytes);
    }
    add(line, end == std::string_view::npos);
  }
  if (count > 0) publish(id, app, batch_, count);
}

void LogStream::publish(const std::string& id, App& app, std::vector<std::string>& lines,
                        std::size_t count) {
  bus::LogLines message;
  message.machine = machine_;
  message.app = id;
  message.stream = stream_;
  message.seq = app.next_seq;
  message.lines.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    message.lines.push_back(std::move(lines[i]));
  app.next_seq += count;
  publish_(app.topic, proto::pack_to_string(message));
}

}  // namespace baton::node
