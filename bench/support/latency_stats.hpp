// Percentiles of a set of latency samples.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

namespace baton::bench {

class LatencyStats {
 public:
  // Samples in any unit; they are sorted here.
  explicit LatencyStats(std::vector<double> samples);
  std::size_t count() const { return sorted_.size(); }
  // q in [0, 1]; the nearest-rank percentile. NaN when there are no samples.
  double quantile(double q) const;
  double max() const;
  // The distribution as [{"q": .., "value": ..}] at quantiles spread for a log-scale plot
  // (0.5, 0.9, 0.99, 0.999, ... and the max).
  nlohmann::json distribution() const;

 private:
  std::vector<double> sorted_;
};

}  // namespace baton::bench
