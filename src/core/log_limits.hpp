#pragma once
// Keeping the log readable while a store fails under traffic: a condition
// met by every request on every loop is written once when it starts and
// once when it ends (episode), or at most once a period (throttle), never
// once per request. Both are lock-free and safe from any thread.

#include <atomic>
#include <chrono>

namespace bakewind::core {

/// A condition that comes and goes (a store failing, a fallback in use).
class episode {
 public:
  /// Marks the condition present; true for the one call that started it.
  bool begin() noexcept {
    // A plain load first: this runs on every failing request, and the
    // exchange (a write) would bounce the line between the loops' cores.
    return !on_.load(std::memory_order_relaxed) && !on_.exchange(true);
  }
  /// Marks it gone; true for the one call that ended it.
  bool end() noexcept { return on_.load(std::memory_order_relaxed) && on_.exchange(false); }
  /// Whether it is present now.
  bool ongoing() const noexcept { return on_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> on_{false};
};

/// Lets one caller through per `period`.
class throttle {
 public:
  explicit throttle(std::chrono::steady_clock::duration period) : period_(period) {}

  /// True when the last caller let through was at least a period before `now`.
  bool allow(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) noexcept {
    const auto at = now.time_since_epoch().count();
    auto seen = last_.load(std::memory_order_relaxed);
    return (seen == never || at - seen >= period_.count()) &&
           last_.compare_exchange_strong(seen, at, std::memory_order_relaxed);
  }

 private:
  static constexpr std::chrono::steady_clock::rep never = -1;
  std::chrono::steady_clock::duration period_;
  std::atomic<std::chrono::steady_clock::rep> last_{never};
};

}  // namespace bakewind::core
