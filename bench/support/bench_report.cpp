#include "bench/support/bench_report.hpp"

#include <cmath>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace baton::bench {

BenchOptions parse_options(int argc, char** argv) {
  BenchOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      options.quick = true;
    } else {
      std::cerr << "usage: " << argv[0] << " [--quick]\n";
      std::exit(2);
    }
  }
  return options;
}

int guarded_main(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    const std::string_view path(program);
    std::cerr << path.substr(path.rfind('/') + 1) << ": " << e.what() << "\n";
    return 1;
  }
}

std::optional<double> Figure::ratio() const {
  if (!baseline || *baseline == 0) return std::nullopt;
  return value / *baseline;
}

std::optional<bool> Figure::pass() const {
  if (!limit && !ratio_limit) return std::nullopt;
  if (!std::isfinite(value)) return false;
  auto within = [this](double v, double bound) {
    return better == Better::higher ? v >= bound : v <= bound;
  };
  if (limit && !within(value, *limit)) return false;
  if (ratio_limit) {
    auto r = ratio();
    if (!r || !within(*r, *ratio_limit)) return false;
  }
  return true;
}

Report::Report(std::string benchmark) : benchmark_(std::move(benchmark)) {}

void Report::add(Figure figure) {
  figures_.push_back(std::move(figure));
}

void Report::add_series(const std::string& name, nlohmann::json points) {
  series_[name] = std::move(points);
}

void Report::note(const std::string& key, nlohmann::json value) {
  notes_[key] = std::move(value);
}

void Report::print() const {
  nlohmann::json figures = nlohmann::json::array();
  for (const Figure& f : figures_) {
    nlohmann::json row = {{"name", f.name},
                          {"value", f.value},
                          {"unit", f.unit},
                          {"target", f.target},
                          {"better", f.better == Better::higher ? "higher" : "lower"}};
    row["baseline"] = f.baseline ? nlohmann::json(*f.baseline) : nlohmann::json();
    const auto ratio = f.ratio();
    row["ratio"] = ratio ? nlohmann::json(*ratio) : nlohmann::json();
    const auto pass = f.pass();
    row["pass"] = pass ? nlohmann::json(*pass) : nlohmann::json();
    figures.push_back(std::move(row));
  }
  nlohmann::json document = {{"benchmark", benchmark_},
                             {"figures", std::move(figures)},
                             {"series", series_},
                             {"notes", notes_}};
  std::cout << document.dump() << std::endl;
}

}  // namespace baton::bench
