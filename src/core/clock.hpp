#pragma once
// Time formatting shared by logs and API bodies.

#include <chrono>
#include <string>

namespace bakewind::core {

/// ISO-8601 UTC with milliseconds, e.g. "2026-11-25T17:03:08.123Z" (API.md).
std::string iso8601_ms(std::chrono::system_clock::time_point t);

/// The same for a time given in ms since the epoch.
std::string iso8601_ms(long long epoch_ms);

}  // namespace bakewind::core
