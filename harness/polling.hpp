// Waiting for something another process does: poll a condition until it holds or a deadline
// passes. The default deadline is generous because CI machines are small and shared, and
// sanitizer builds are slow.
#pragma once

#include <chrono>
#include <functional>

namespace baton::harness {

using namespace std::chrono_literals;

inline constexpr std::chrono::milliseconds kDeadline = 20s;

// Polls `condition` every few milliseconds until it holds or `deadline` passes.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = kDeadline);

// Calls `pump` (which waits a little for socket input and handles it) until `condition` holds or
// `deadline` passes.
bool pump_until(const std::function<void()>& pump, const std::function<bool()>& condition,
                std::chrono::milliseconds deadline);

}  // namespace baton::harness
