#include "redis/routing.hpp"

#include "redis/connection.hpp"
#include "redis/errors.hpp"
#include "redis/key_slot.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace bakewind::redis {

namespace {

bool same_word(std::string_view a, std::string_view upper) {
  return a.size() == upper.size() && std::equal(a.begin(), a.end(), upper.begin(), [](char x, char y) {
           return (x >= 'a' && x <= 'z' ? static_cast<char>(x - 'a' + 'A') : x) == y;
         });
}

bool one_of(std::string_view name, std::span<const std::string_view> upper_names) {
  return std::any_of(upper_names.begin(), upper_names.end(), [&](std::string_view n) { return same_word(name, n); });
}

// Commands that name no key (or whose arguments are channels, patterns or
// cursors): any node runs them. The list covers what this service and its
// tests send; anything else is taken to have its key first.
constexpr std::array<std::string_view, 30> keyless = {
    "PING",     "INFO",    "ECHO",   "TIME", "DBSIZE",    "CLUSTER", "CONFIG", "CLIENT",  "SCRIPT",  "FLUSHALL",
    "FLUSHDB",  "PUBLISH", "SCAN",   "KEYS", "RANDOMKEY", "COMMAND", "DEBUG",  "SLOWLOG", "LATENCY", "ROLE",
    "LASTSAVE", "SAVE",    "BGSAVE", "WAIT", "FUNCTION",  "ACL",     "HELLO",  "QUIT",    "ASKING",  "READONLY"};

// Commands whose every argument is a key.
constexpr std::array<std::string_view, 11> all_keys = {"MGET",   "DEL",    "UNLINK", "EXISTS",  "TOUCH",  "WATCH",
                                                       "SINTER", "SUNION", "SDIFF",  "PFCOUNT", "PFMERGE"};

// Commands taking keys and values in turn.
constexpr std::array<std::string_view, 2> key_value_pairs = {"MSET", "MSETNX"};

// Commands followed by numkeys and that many keys.
constexpr std::array<std::string_view, 6> numkeys_first = {"EVAL",       "EVALSHA", "EVAL_RO",
                                                           "EVALSHA_RO", "FCALL",   "FCALL_RO"};

[[noreturn]] void cross_slot() {
  throw server_error("CROSSSLOT Keys in request don't hash to the same slot");
}

}  // namespace

int slot_of_keys(std::span<const std::string_view> keys) {
  int slot = any_slot;
  for (const auto key : keys) {
    const int s = key_slot(key);
    if (slot == any_slot) {
      slot = s;
    } else if (s != slot) {
      cross_slot();
    }
  }
  return slot;
}

int slot_of_command(std::span<const std::string_view> args) {
  if (args.size() < 2) return any_slot;
  const auto name = args[0];
  if (one_of(name, keyless)) return any_slot;
  if (one_of(name, all_keys)) return slot_of_keys(args.subspan(1));
  if (one_of(name, key_value_pairs)) {
    int slot = any_slot;
    for (std::size_t i = 1; i < args.size(); i += 2) {
      const int s = key_slot(args[i]);
      if (slot != any_slot && s != slot) cross_slot();
      slot = s;
    }
    return slot;
  }
  if (one_of(name, numkeys_first)) {
    // A malformed count goes to any node, whose error reply says why.
    if (args.size() < 3) return any_slot;
    std::size_t n = 0;
    const auto text = args[2];
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || n > args.size() - 3) return any_slot;
    return slot_of_keys(args.subspan(3, n));
  }
  return key_slot(args[1]);
}

}  // namespace bakewind::redis
