#pragma once
// RedisService: the seed's API (set, get, del, exists, setex, ttl, expire,
// incr) plus getdel, eval, publish, scan, and any other command, on one
// client. Error replies throw server_error; no reply throws
// core::unavailable_error("redis", ...). Arguments are encoded before the
// first suspension, so temporaries may be passed.

#include "redis/client.hpp"
#include "redis/script.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::redis {

/// One SCAN step.
struct scan_page {
  std::string cursor;             ///< "0" when the iteration is complete
  std::vector<std::string> keys;
};

class service {
 public:
  /// `c` must outlive the service.
  explicit service(client& c) : client_(c) {}

  /// SET key value [EX ttl].
  boost::asio::awaitable<void> set(std::string_view key, std::string_view value,
                                   std::optional<std::chrono::seconds> ttl = std::nullopt);
  /// SET key value NX [EX ttl]; true when it was set.
  boost::asio::awaitable<bool> set_nx(std::string_view key, std::string_view value,
                                      std::optional<std::chrono::seconds> ttl = std::nullopt);
  /// GET; nullopt for a missing key.
  boost::asio::awaitable<std::optional<std::string>> get(std::string_view key);
  /// DEL; how many keys were removed.
  boost::asio::awaitable<long long> del(std::string_view key);
  /// EXISTS.
  boost::asio::awaitable<bool> exists(std::string_view key);
  /// SETEX key ttl value.
  boost::asio::awaitable<void> setex(std::string_view key, std::chrono::seconds ttl, std::string_view value);
  /// TTL in seconds; -2 for a missing key, -1 for one without expiry.
  boost::asio::awaitable<long long> ttl(std::string_view key);
  /// EXPIRE; false when the key does not exist.
  boost::asio::awaitable<bool> expire(std::string_view key, std::chrono::seconds ttl);
  /// INCR; the new value.
  boost::asio::awaitable<long long> incr(std::string_view key);
  /// GETDEL (atomic: of concurrent callers, one gets the value); nullopt when missing.
  boost::asio::awaitable<std::optional<std::string>> getdel(std::string_view key);
  /// PUBLISH; how many subscribers received it.
  boost::asio::awaitable<long long> publish(std::string_view channel, std::string_view message);
  /// SCAN cursor MATCH pattern COUNT count.
  boost::asio::awaitable<scan_page> scan(std::string_view cursor, std::string_view match, std::size_t count);
  /// EVALSHA, falling back to EVAL on NOSCRIPT. `s` must outlive the call.
  boost::asio::awaitable<reply> eval(const script& s, std::span<const std::string> keys,
                                     std::span<const std::string> args, retry policy = retry::never);
  /// PING; throws unless PONG.
  boost::asio::awaitable<void> ping();
  /// Any command: `command({"HSET", "h", "f", "v"})`. Error replies throw server_error.
  boost::asio::awaitable<reply> command(std::vector<std::string> args, retry policy = retry::never);

  client& raw() noexcept { return client_; }

 private:
  static std::string encode(std::initializer_list<std::string_view> args);
  boost::asio::awaitable<reply> checked(std::string encoded, retry policy);
  boost::asio::awaitable<void> expect_ok(std::string encoded);
  boost::asio::awaitable<std::optional<std::string>> optional_text(std::string encoded, retry policy);
  boost::asio::awaitable<long long> integer(std::string encoded, retry policy);

  client& client_;
};

}  // namespace bakewind::redis
