#pragma once
// The wall clock that expiry decisions read, and time formatting shared by
// logs and API bodies.

#include <chrono>
#include <string>
#include <string_view>

namespace bakewind::core {

/// ISO-8601 UTC with milliseconds, e.g. "2026-11-25T17:03:08.123Z" (API.md).
std::string iso8601_ms(std::chrono::system_clock::time_point t);

/// The same for a time given in ms since the epoch: every instant API.md
/// accepts (years 1 to 9999), including those past system_clock's range
/// (its nanoseconds end in 2262).
std::string iso8601_ms(long long epoch_ms);

/// The 24 characters of an ISO-8601 UTC time with milliseconds.
using iso8601_text = char[24];

/// `epoch_ms` as iso8601_ms writes it, into `out`, without allocating or
/// taking the C library's time-zone lock; for years 0 to 9999 (the caller
/// checks: anything else is written modulo 10,000).
std::string_view format_iso8601_ms(iso8601_text& out, long long epoch_ms) noexcept;

/// The same for a time point (floored to its millisecond).
std::string_view format_iso8601_ms(iso8601_text& out, std::chrono::system_clock::time_point t) noexcept;

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
