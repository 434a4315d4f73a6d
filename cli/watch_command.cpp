// baton watch [TOPIC-PREFIX] [--json] [--count N] [--for SECONDS]: the broker's bus, live. Hello
// names the bus endpoint; a SUB socket takes every message whose topic starts with the prefix and
// prints one line per message, until --count messages, --for seconds, or SIGINT/SIGTERM (exit 0).
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/bus_message.hpp"
#include "cli/commands.hpp"
#include "cli/human_output.hpp"
#include "cli/json_output.hpp"
#include "common/os/signals.hpp"

namespace baton::cli {

namespace {

namespace bus = proto::bus;
using std::chrono::steady_clock;

struct WatchOptions {
  std::string prefix;  // "": every topic
  bool json = false;
  std::optional<long long> count;
  std::optional<double> for_seconds;
};

// The local time of day with milliseconds, "14:03:07.123": when this client saw the message.
std::string time_of_day() {
  timeval now{};
  ::gettimeofday(&now, nullptr);
  tm local{};
  ::localtime_r(&now.tv_sec, &local);
  char text[32];
  std::snprintf(text, sizeof text, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<int>(now.tv_usec / 1000));
  return text;
}

// The line to print for one [topic, payload], or nullopt (with a note on stderr) when the
// payload is not the message its topic announces.
std::optional<std::string> format_message(const std::string& topic, const zmq::message_t& payload,
                                          bool json) {
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, payload.data(), payload.size());
  Expected<std::string> line = [&]() -> Expected<std::string> {
    if (!object) return object.error();
    if (json) {
      auto message = bus_message_json(topic, *object);
      if (!message) return message.error();
      return dump_json(*message);
    }
    auto message = decode_bus_message(topic, *object);
    if (!message) return message.error();
    return time_of_day() + " " + describe_bus_message(topic, *message);
  }();
  if (!line) {
    std::cerr << "baton: ignored a malformed message on " << topic << ": " << line.error().message
              << std::endl;
    return std::nullopt;
  }
  return std::move(line).value();
}

void run_watch(const CliContext& context, const WatchOptions& options) {
  // Blocked before the ZeroMQ context starts its threads, which inherit the mask: the signals
  // then reach only the signalfd below, and Ctrl-C ends the watch through the normal return.
  set_signals_blocked(true);
  SignalFd signals({SIGINT, SIGTERM});
  BrokerClient client(context);
  // Until the stream starts there is nothing to end cleanly: Ctrl-C during hello just stops us.
  set_signals_blocked(false);
  const std::string bus_endpoint = client.bus_endpoint();
  set_signals_blocked(true);

  zmq::socket_t subscriber = client.bus_subscriber(bus_endpoint);
  subscriber.set(zmq::sockopt::subscribe, options.prefix);

  std::optional<steady_clock::time_point> deadline;
  if (options.for_seconds) {
    // Capped at about 31 years, where the conversion to clock ticks would overflow.
    const double seconds = std::min(*options.for_seconds, 1e9);
    deadline = steady_clock::now() + std::chrono::duration_cast<steady_clock::duration>(
                                         std::chrono::duration<double>(seconds));
  }
  long long printed = 0;
  for (;;) {
    auto wait = std::chrono::milliseconds(-1);
    if (deadline) {
      wait = std::chrono::ceil<std::chrono::milliseconds>(*deadline - steady_clock::now());
      if (wait.count() <= 0) return;
    }
    zmq::pollitem_t items[] = {{subscriber.handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, signals.fd(), ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, wait);
    if (items[1].revents & ZMQ_POLLIN) return;
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    for (;;) {
      zmq::message_t topic;
      if (!subscriber.recv(topic, zmq::recv_flags::dontwait)) break;
      if (!topic.more()) continue;  // a single frame is no bus message
      zmq::message_t payload;
      if (!subscriber.recv(payload, zmq::recv_flags::dontwait)) break;
      if (payload.more()) {  // more than two frames: not a bus message, drop it whole
        zmq::message_t rest;
        do {
          if (!subscriber.recv(rest, zmq::recv_flags::dontwait)) break;
        } while (rest.more());
        continue;
      }
      // Usage reports come from every machine every couple of seconds, and apps' output while
      // someone follows it (baton logs -f): each shown when asked for.
      const std::string topic_text = topic.to_string();
      if (options.prefix.empty() &&
          (topic_text.starts_with("usage/") || topic_text.starts_with(bus::kLogPrefix))) {
        continue;
      }
      auto line = format_message(topic_text, payload, options.json);
      if (!line) continue;
      // Flushed per line: a script or a test reading the pipe sees each message as it comes.
      std::cout << *line << std::endl;
      if (options.count && ++printed >= *options.count) return;
    }
  }
}

}  // namespace

void add_watch_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<WatchOptions>();
  CLI::App* watch =
      app.add_subcommand("watch", "print the broker's bus live: app states, events, nodes, plans");
  watch->add_option("prefix", options->prefix,
                    "only topics that start with this, e.g. status/m1/, event/ or usage/ (default: "
                    "all but usage/, which every machine sends every --usage-interval, and log/, "
                    "apps' output while someone follows it: see baton logs -f)");
  watch->add_flag("--json", options->json, "one JSON object per message: its fields and \"topic\"");
  watch->add_option("--count", options->count, "stop after this many messages")
      ->check(above_zero());
  watch->add_option("--for", options->for_seconds, "stop after this many seconds")
      ->check(above_zero());
  run_when_chosen(watch, context, [&context, options] { run_watch(context, *options); });
}

}  // namespace baton::cli
