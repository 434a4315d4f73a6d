// Apps' output on the bus, log/<machine>/<app>/, published only while someone follows it. A
// follower's subscription travels up to the node (the broker forwards it on its ingest socket,
// where the node's XPUB hands it over), so an app nobody follows costs one lookup per chunk of
// output, and the bus carries nothing.
//
// Lines are numbered per app (LogLines::seq) within a stream, one per node process: a follower
// sees lines lost on the way as a gap, and a node restart as a new stream. A new subscription is
// answered with an empty LogLines per app it covers, which tells the follower that the lines
// from then on will come, and from which number (the tail it asks for next ends just before it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace baton::node {

// What a node publishes of all its apps' output together, at most; past it, lines are dropped
// from the bus (never from the logs), numbered all the same.
struct LogBudget {
  double bytes_per_second = 16.0 * 1024 * 1024;
  double burst_bytes = 4.0 * 1024 * 1024;
};

class LogStream {
 public:
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;
  // The ids of the apps this node has, for a subscription to more than one app (log/<machine>/).
  using AppIds = std::function<std::vector<std::string>()>;

  LogStream(std::string machine, Publish publish, AppIds app_ids, LogBudget budget = {});

  // A subscription (or its end) to a prefix of log/ topics, as the node's ingest socket reports
  // it. An unsubscription of "" means the broker went away: every subscription ended with it.
  void subscription(bool subscribe, std::string_view topic);

  // Output `app` wrote to its log: lines ending in '\n', the last one possibly a piece of a line
  // flushed before its end (it is published as a line of its own, marked as continued).
  void output(const std::string& app, std::string_view text);

  // The stream's id and the number the next line of `app` will have (TailResult::next_seq).
  std::uint64_t stream() const { return stream_; }
  std::uint64_t next_seq(const std::string& app) const;

  // A line, or a piece of a longer one, in the output being published.
  struct Piece {
    std::string_view text;
    bool continues = false;  // the line goes on in the next piece
  };

 private:
  struct App {
    std::string topic;  // log/<machine>/<app>/
    bool followed = false;
    std::uint64_t next_seq = 0;
  };
  App& entry(const std::string& id);
  bool covered(const std::string& topic) const;
  // The empty LogLines that tells a new follower of `id` where its live lines start.
  void announce(const std::string& id, App& app);
  // Publishes batch_ (`bytes` of text) as the app's next lines, or drops it when over budget.
  void publish(const std::string& id, App& app, std::size_t bytes);
  bool within_budget(std::size_t bytes);

  std::string machine_;
  Publish publish_;
  AppIds app_ids_;
  std::uint64_t stream_;
  std::set<std::string, std::less<>> subscriptions_;
  std::map<std::string, App, std::less<>> apps_;
  std::vector<Piece> batch_;  // output()'s, kept for its capacity
  LogBudget limits_;
  double budget_ = 0;  // bytes that may go out now
  std::chrono::steady_clock::time_point budget_refilled_ = std::chrono::steady_clock::now();
};

}  // namespace baton::node
