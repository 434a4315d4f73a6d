// What every benchmark executable prints: one JSON document on stdout with its figures (each with
// the baseline measured in the same run, the ratio and the target) and the series to plot.
// bench/run_bench.py collects these documents into one table and one results file.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace baton::bench {

// Command line shared by every benchmark: --quick runs a reduced version (seconds, not minutes)
// that only shows the benchmark works and its figures are sane.
struct BenchOptions {
  bool quick = false;
};
BenchOptions parse_options(int argc, char** argv);

// The body of every benchmark's main(): returns what `body` returns; an exception becomes one line
// on stderr, named after `program` (argv[0]), and exit status 1, never a report with made-up
// figures.
int guarded_main(const char* program, const std::function<int()>& body);

// How a figure compares with its target.
enum class Better { higher, lower };

struct Figure {
  std::string name;  // e.g. "1,000 apps"
  double value = 0;
  std::string unit;                // e.g. "heartbeats/s", "ms", "MB"
  std::optional<double> baseline;  // same unit, measured in the same run
  // The target as text for the table, and the limit it states; `ratio_limit` bounds value/baseline.
  std::string target;
  std::optional<double> limit;
  std::optional<double> ratio_limit;
  Better better = Better::lower;

  std::optional<double> ratio() const;
  // nullopt when the figure has no target.
  std::optional<bool> pass() const;
};

class Report {
 public:
  explicit Report(std::string benchmark);
  void add(Figure figure);
  // Points to plot, e.g. {{"apps", 100}, {"baton", 1.6e6}, {"baseline", 2.1e6}}.
  void add_series(const std::string& name, nlohmann::json points);
  // A fact about the run that explains the figures (e.g. the node's CPU seconds).
  void note(const std::string& key, nlohmann::json value);
  // Writes the document to stdout.
  void print() const;

 private:
  std::string benchmark_;
  std::vector<Figure> figures_;
  nlohmann::json series_ = nlohmann::json::object();
  nlohmann::json notes_ = nlohmann::json::object();
};

}  // namespace baton::bench
