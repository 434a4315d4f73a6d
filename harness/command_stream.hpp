// A stream of commands through the broker to one node, each answered when the node has: the load
// tests check that none is lost, bench_fleet_commands times them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace baton::harness {

struct CommandRun {
  std::size_t sent = 0;
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::string first_error;
  std::vector<double> round_trip_ms;  // one per answer, in the order they came
};

// Sends `total` set_vars commands for `machine` (LOAD=<i>: it changes no app) to the broker's
// control endpoint, `per_second` of them a second (0: each after the answer to the last), and
// collects every answer, waiting at most 10 s after the last was sent.
CommandRun run_commands(const std::string& control_endpoint, const std::string& machine,
                        std::size_t total, int per_second);

// The p-th percentile (0-100) of `values`, 0 when empty.
double percentile(std::vector<double> values, double p);

}  // namespace baton::harness
