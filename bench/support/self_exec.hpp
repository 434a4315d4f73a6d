// Benchmarks run their load generators and baseline servers as separate processes: the benchmark
// executable starts itself again in another role (`bench_x --role ...`), so that each side has its
// own ZeroMQ context and threads, as an app and a node would.
#pragma once

#include <string>

namespace baton::bench {

// The path of the running executable.
std::string self_path();

}  // namespace baton::bench
