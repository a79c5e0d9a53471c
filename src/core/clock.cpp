#include "core/clock.hpp"

#include <charconv>

namespace bakewind::core {

namespace {

// Writes `v` as `width` decimal digits ending just before `end`.
void put_digits(char* end, unsigned v, int width) noexcept {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

constexpr long long first_four_digit_ms = -62167219200000LL;  // 0000-01-01T00:00:00.000Z
constexpr long long last_four_digit_ms = 253402300799999LL;   // 9999-12-31T23:59:59.999Z

}  // namespace

std::string_view format_iso8601_ms(iso8601_text& out, long long epoch_ms) noexcept {
  using namespace std::chrono;
  // Calendar arithmetic on the time itself: gmtime_r and snprintf cost far
  // more (the time-zone lock, the format parser) on paths that write three
  // times per lock. sys_time<milliseconds> holds any year we print.
  const sys_time<milliseconds> ms{milliseconds(epoch_ms)};
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{ms - day};
  static constexpr std::string_view shape = "0000-00-00T00:00:00.000Z";
  shape.copy(out, shape.size());
  put_digits(out + 4, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  put_digits(out + 7, static_cast<unsigned>(date.month()), 2);
  put_digits(out + 10, static_cast<unsigned>(date.day()), 2);
  put_digits(out + 13, static_cast<unsigned>(time.hours().count()), 2);
  put_digits(out + 16, static_cast<unsigned>(time.minutes().count()), 2);
  put_digits(out + 19, static_cast<unsigned>(time.seconds().count()), 2);
  put_digits(out + 23, static_cast<unsigned>(time.subseconds().count()), 3);
  return {out, shape.size()};
}

std::string_view format_iso8601_ms(iso8601_text& out, std::chrono::system_clock::time_point t) noexcept {
  using namespace std::chrono;
  return format_iso8601_ms(out, floor<milliseconds>(t).time_since_epoch().count());
}

std::string iso8601_ms(long long epoch_ms) {
  iso8601_text text;
  std::string out(format_iso8601_ms(text, epoch_ms));
  if (epoch_ms < first_four_digit_ms || epoch_ms > last_four_digit_ms) {
    // Never from API input (years 1 to 9999); written as a signed year
    // rather than a wrong four-digit one.
    using namespace std::chrono;
    const year_month_day date{floor<days>(sys_time<milliseconds>{milliseconds(epoch_ms)})};
    char year[16];
    const auto end = std::to_chars(year, year + sizeof year, static_cast<int>(date.year())).ptr;
    out.replace(0, 4, year, static_cast<std::size_t>(end - year));
  }
  return out;
}

std::string iso8601_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  return iso8601_ms(floor<milliseconds>(t).time_since_epoch().count());
}

const wall_clock& wall_clock::system() noexcept {
  static const wall_clock clock;
  return clock;
}

}  // namespace bakewind::core
