#include "core/ids.hpp"

#include "core/secure_random.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace bakewind::core {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex(std::string& out, const unsigned char* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out += hex_digits[data[i] >> 4];
    out += hex_digits[data[i] & 0xF];
  }
}

// Each byte's value as a hex digit (either case), -1 for any other byte:
// one load per character where ids are read on every request.
constexpr std::array<signed char, 256> digit_values = [] {
  std::array<signed char, 256> v{};
  v.fill(-1);
  for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<signed char>(i);
  for (int i = 0; i < 6; ++i) {
    v['a' + i] = static_cast<signed char>(10 + i);
    v['A' + i] = static_cast<signed char>(10 + i);
  }
  return v;
}();

int hex_value(char c) noexcept { return digit_values[static_cast<unsigned char>(c)]; }

std::string format_uuid(const std::array<unsigned char, 16>& b) {
  std::string out;
  out.reserve(36);
  append_hex(out, b.data(), 4);
  out += '-';
  append_hex(out, b.data() + 4, 2);
  out += '-';
  append_hex(out, b.data() + 6, 2);
  out += '-';
  append_hex(out, b.data() + 8, 2);
  out += '-';
  append_hex(out, b.data() + 10, 6);
  return out;
}

}  // namespace

std::string random_uuid() {
  std::array<unsigned char, 16> b{};
  secure_random(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return format_uuid(b);
}

std::string fast_uuid() {
  thread_local std::mt19937_64 generator = [] {
    std::uint64_t seed = 0;
    secure_random(&seed, sizeof seed);
    return std::mt19937_64(seed);
  }();
  std::array<unsigned char, 16> b{};
  const std::uint64_t hi = generator();
  const std::uint64_t lo = generator();
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(hi >> (8 * i));
    b[8 + i] = static_cast<unsigned char>(lo >> (8 * i));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  return format_uuid(b);
}

std::string random_uuid_v7(std::chrono::system_clock::time_point now) {
  std::array<unsigned char, 16> b{};
  secure_random(b.data(), b.size());
  const auto ms = static_cast<unsigned long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);  // version 7
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 9562 variant
  return format_uuid(b);
}

std::optional<long long> uuid_v7_millis(std::string_view id) noexcept {
  if (!is_uuid(id) || id[14] != '7') return std::nullopt;
  long long ms = 0;
  for (const char c : id.substr(0, 13)) {
    if (c == '-') continue;
    ms = (ms << 4) | hex_value(c);
  }
  return ms;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  secure_random(raw.data(), raw.size());
  std::string out;
  out.reserve(bytes * 2);
  append_hex(out, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  return out;
}

bool is_uuid(std::string_view text) noexcept { return uuid_bytes(text).has_value(); }

std::optional<std::array<unsigned char, 16>> uuid_bytes(std::string_view text) noexcept {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') {
    return std::nullopt;
  }
  std::array<unsigned char, 16> out{};
  std::size_t n = 0;
  int any_bad = 0;  // negative once a digit was not one
  for (std::size_t i = 0; i < text.size(); i += 2) {
    if (i == 8 || i == 13 || i == 18 || i == 23) ++i;
    const int high = hex_value(text[i]);
    const int low = hex_value(text[i + 1]);
    any_bad |= high | low;
    out[n++] = static_cast<unsigned char>((high << 4) | low);
  }
  if (any_bad < 0) return std::nullopt;
  return out;
}

}  // namespace bakewind::core
