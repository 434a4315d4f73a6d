#include "bench/support/latency_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace baton::bench {

LatencyStats::LatencyStats(std::vector<double> samples) : sorted_(std::move(samples)) {
  std::sort(sorted_.begin(), sorted_.end());
}

double LatencyStats::quantile(double q) const {
  if (sorted_.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double rank = std::ceil(q * static_cast<double>(sorted_.size()));
  const auto index = static_cast<std::size_t>(std::clamp(rank, 1.0, double(sorted_.size()))) - 1;
  return sorted_[index];
}

double LatencyStats::max() const {
  return sorted_.empty() ? std::numeric_limits<double>::quiet_NaN() : sorted_.back();
}

nlohmann::json LatencyStats::distribution() const {
  nlohmann::json points = nlohmann::json::array();
  if (sorted_.empty()) return points;
  // Evenly spaced in -log10(1 - q): the tail gets as many points as the body.
  for (double nines = 0; nines <= 5.0; nines += 0.125) {
    const double q = 1.0 - std::pow(10.0, -nines);
    if (static_cast<double>(sorted_.size()) * (1.0 - q) < 1.0) break;
    points.push_back({{"q", q}, {"value", quantile(q)}});
  }
  points.push_back({{"q", 1.0}, {"value", max()}});
  return points;
}

}  // namespace baton::bench
