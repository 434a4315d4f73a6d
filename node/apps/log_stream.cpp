#include "node/apps/log_stream.hpp"

#include <chrono>
#include <utility>

#include "common/proto/bus.hpp"
#include "common/proto/codec.hpp"

namespace baton::node {

namespace bus = proto::bus;

// bus::LogLines as it is sent: the same fields, the lines packed straight from views into the
// output just read (a std::string per line cost the node an allocation each).
struct OutgoingLines {
  int v = bus::kVersion;
  std::string_view machine;
  std::string_view app;
  std::uint64_t stream = 0;
  std::uint64_t seq = 0;
  const std::vector<LogStream::Piece>* lines = nullptr;
  static constexpr auto kFields = std::make_tuple(
      proto::required("v", &OutgoingLines::v), proto::required("machine", &OutgoingLines::machine),
      proto::required("app", &OutgoingLines::app),
      proto::required("stream", &OutgoingLines::stream),
      proto::required("seq", &OutgoingLines::seq), proto::required("lines", &OutgoingLines::lines));
};

}  // namespace baton::node

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  // Each piece as one string, with the continuation mark after a piece that does not end a line.
  template <>
  struct pack<const std::vector<baton::node::LogStream::Piece>*> {
    template <class Stream>
    packer<Stream>& operator()(packer<Stream>& pk,
                               const std::vector<baton::node::LogStream::Piece>* pieces) const {
      const std::string_view mark = baton::proto::bus::kLineContinues;
      pk.pack_array(static_cast<std::uint32_t>(pieces->size()));
      for (const auto& piece : *pieces) {
        const std::size_t size = piece.text.size() + (piece.continues ? mark.size() : 0);
        pk.pack_str(static_cast<std::uint32_t>(size));
        pk.pack_str_body(piece.text.data(), static_cast<std::uint32_t>(piece.text.size()));
        if (piece.continues) pk.pack_str_body(mark.data(), static_cast<std::uint32_t>(mark.size()));
      }
      return pk;
    }
  };
  }  // namespace adaptor
}
}  // namespace msgpack

namespace baton::node {

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

// The default budget, 16 MiB/s (over 150,000 lines of 100 bytes a second) in bursts of up to
// 4 MiB: following an app that writes as fast as it can must cost the node, the broker and the
// follower little enough that the app is not slowed, and the broker's queue for a stopped follower
// fills at this pace at most.
LogStream::LogStream(std::string machine, Publish publish, AppIds app_ids, LogBudget budget)
    : machine_(std::move(machine)),
      publish_(std::move(publish)),
      app_ids_(std::move(app_ids)),
      // Unique per node process, so that a follower tells a restarted node's numbering apart.
      stream_(microseconds_since_epoch()),
      limits_(budget),
      budget_(budget.burst_bytes) {}

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
  // Views into `text`: the lines are copied once, into the message.
  batch_.clear();
  std::size_t bytes = 0;
  auto add = [&](std::string_view piece, bool continues) {
    batch_.push_back({piece, continues});
    bytes += piece.size();
    if (bytes >= kBatchBytes) {
      publish(id, app, bytes);
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
  if (!batch_.empty()) publish(id, app, bytes);
}

bool LogStream::within_budget(std::size_t bytes) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - budget_refilled_).count();
  budget_refilled_ = now;
  budget_ = std::min(limits_.burst_bytes, budget_ + seconds * limits_.bytes_per_second);
  if (budget_ < static_cast<double>(bytes)) return false;
  budget_ -= static_cast<double>(bytes);
  return true;
}

void LogStream::publish(const std::string& id, App& app, std::size_t bytes) {
  const std::uint64_t first = app.next_seq;
  app.next_seq += batch_.size();
  // Over the budget: the followers see the gap in the numbers and count the lines as dropped.
  if (!within_budget(bytes)) {
    batch_.clear();
    return;
  }
  const OutgoingLines message{bus::kVersion, machine_, id, stream_, first, &batch_};
  publish_(app.topic, proto::pack_to_string(message));
  batch_.clear();
}

}  // namespace baton::node
