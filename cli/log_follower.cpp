#include "cli/log_follower.hpp"

#include <algorithm>

namespace baton::cli {

namespace bus = proto::bus;

std::string with_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3)
    digits.insert(static_cast<std::size_t>(at), ",");
  return digits;
}

LogFollower::LogFollower(const std::vector<std::string>& apps, std::size_t max_buffered)
    : max_buffered_(max_buffered) {
  std::size_t width = 0;
  for (const auto& app : apps)
    width = std::max(width, app.size());
  for (const auto& app : apps) {
    App& entry = apps_[app];
    if (apps.size() > 1) entry.prefix = app + std::string(width - app.size(), ' ') + " | ";
  }
}

bool LogFollower::heard_from(const std::string& app) const {
  auto it = apps_.find(app);
  return it != apps_.end() && it->second.heard;
}

bool LogFollower::heard_from_all() const {
  return std::all_of(apps_.begin(), apps_.end(), [](const auto& a) { return a.second.heard; });
}

void LogFollower::tail(const std::string& id, const bus::TailResult& tail) {
  auto it = apps_.find(id);
  if (it == apps_.end()) return;
  App& app = it->second;
  for (const auto& line : tail.lines)
    print(app, line);
  app.tail_done = true;
  // A node too old to number its lines: everything live that comes is new.
  app.stream = tail.stream.value_or(0);
  app.next_seq = tail.next_seq.value_or(0);
  const bool numbered = tail.next_seq.has_value();
  std::vector<bus::LogLines> held;
  held.swap(app.held);
  for (auto& lines : held) {
    if (!numbered) {
      app.stream = lines.stream;
      app.next_seq = lines.seq;
    }
    follow(app, lines);
  }
}

void LogFollower::take(const bus::LogLines& lines) {
  auto it = apps_.find(lines.machine + "." + lines.app);
  if (it == apps_.end()) return;
  App& app = it->second;
  app.heard = true;
  if (!app.tail_done) {
    if (!lines.lines.empty()) app.held.push_back(lines);
    return;
  }
  follow(app, lines);
}

void LogFollower::follow(App& app, const bus::LogLines& lines) {
  if (lines.stream != app.stream) {
    // The node restarted (or this is the first message of a node that did not number its tail):
    // its numbering starts again, and nothing before it can be told apart as missed.
    app.stream = lines.stream;
    app.next_seq = lines.seq;
  }
  const std::uint64_t end = lines.seq + lines.lines.size();
  if (end <= app.next_seq) return;  // all of it is printed already (the tail held it)
  if (lines.seq > app.next_seq) app.dropped += lines.seq - app.next_seq;
  const std::uint64_t first = app.next_seq > lines.seq ? app.next_seq - lines.seq : 0;
  for (std::size_t i = first; i < lines.lines.size(); ++i)
    print(app, lines.lines[i]);
  app.next_seq = end;
}

void LogFollower::print(App& app, const std::string& line) {
  if (buffered() >= max_buffered_) {
    ++app.dropped;
    return;
  }
  if (app.dropped > 0) print_dropped(app);
  pending_ += app.prefix;
  pending_ += line;
  pending_ += '\n';
}

void LogFollower::print_dropped(App& app) {
  dropped_total_ += app.dropped;
  pending_ += app.prefix;
  pending_ +=
      "… " + with_thousands(app.dropped) + (app.dropped == 1 ? " line" : " lines") + " dropped …\n";
  app.dropped = 0;
}

void LogFollower::consumed(std::size_t bytes) {
  written_ = std::min(written_ + bytes, pending_.size());
  // Compacted once the written part is the larger: each byte moves about once.
  if (written_ > pending_.size() / 2) {
    pending_.erase(0, written_);
    written_ = 0;
  }
  // The terminal caught up: what it missed is said now, not only before the app's next line.
  if (buffered() < max_buffered_ / 2) {
    for (auto& [id, app] : apps_) {
      if (app.dropped > 0) print_dropped(app);
    }
  }
}

}  // namespace baton::cli
