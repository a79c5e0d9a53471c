#include "core/clock.hpp"

#include <cstdio>
#include <ctime>

namespace bakewind::core {

std::string iso8601_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
  // Floor division keeps times before 1970 correct too.
  std::time_t secs = static_cast<std::time_t>(ms_total / 1000);
  long long ms = ms_total % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

const wall_clock& wall_clock::system() noexcept {
  static const wall_clock clock;
  return clock;
}

std::string iso8601_ms(long long epoch_ms) {
  return iso8601_ms(std::chrono::system_clock::time_point(std::chrono::milliseconds(epoch_ms)));
}

}  // namespace bakewind::core
