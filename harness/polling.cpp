#include "harness/polling.hpp"

#include <thread>

namespace baton::harness {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= end) return condition();
    std::this_thread::sleep_for(5ms);
  }
}

bool pump_until(const std::function<void()>& pump, const std::function<bool()>& condition,
                std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    pump();
  }
  return true;
}

}  // namespace baton::harness
