#pragma once
// The wall clock that expiry decisions read, and time formatting shared by
// logs and API bodies.

#include <chrono>
#include <string>

namespace bakewind::core {

/// ISO-8601 UTC with milliseconds, e.g. "2026-11-25T17:03:08.123Z" (API.md).
std::string iso8601_ms(std::chrono::system_clock::time_point t);

/// The same for a time given in ms since the epoch.
std::string iso8601_ms(long long epoch_ms);

/// Where code that decides expiry reads the time: the system's clock, or a
/// test's (which moves when the test says). Thread-safe.
class wall_clock {
 public:
  virtual ~wall_clock() = default;
  /// Now.
  virtual std::chrono::system_clock::time_point now() const { return std::chrono::system_clock::now(); }
  /// Now, in ms since the epoch.
  long long now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
  /// The system's clock.
  static const wall_clock& system() noexcept;
};

}  // namespace bakewind::core
