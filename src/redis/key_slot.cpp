#include "redis/key_slot.hpp"

#include <array>
#include <memory>
#include <vector>

namespace bakewind::redis {

namespace {

constexpr auto crc_table = [] {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    auto crc = static_cast<std::uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    t[i] = crc;
  }
  return t;
}();

// Every slot's tag: decimal numbers tried in order until each slot has one
// (about 170,000 CRCs, done once, on first use).
std::vector<std::string> make_tags() {
  std::vector<std::string> tags(slot_count);
  std::size_t found = 0;
  for (unsigned long n = 0; found < slot_count; ++n) {
    std::string t = std::to_string(n);
    auto& entry = tags[crc16(t) % slot_count];
    if (entry.empty()) {
      entry = std::move(t);
      ++found;
    }
  }
  return tags;
}

}  // namespace

std::uint16_t crc16(std::string_view data) noexcept {
  std::uint16_t crc = 0;
  for (const char c : data) {
    crc = static_cast<std::uint16_t>((crc << 8) ^ crc_table[((crc >> 8) ^ static_cast<unsigned char>(c)) & 0xff]);
  }
  return crc;
}

std::uint16_t key_slot(std::string_view key) noexcept {
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return static_cast<std::uint16_t>(crc16(key) % slot_count);
}

const std::string& tag_for_slot(std::uint16_t slot) {
  static const std::vector<std::string> tags = make_tags();
  return tags[slot % slot_count];
}

}  // namespace bakewind::redis
