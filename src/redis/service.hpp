#pragma once
// RedisService: the seed's API (set, get, del, exists, setex, ttl, expire,
// incr) plus getdel, eval, publish, scan, pipelines and any other command,
// over one server or a cluster (redis::connection). Error replies throw
// server_error; no reply throws core::unavailable_error("redis", ...).
// Arguments are encoded before the first suspension, so temporaries may be
// passed. Calls made for a request take its budget (redis/budget.hpp): they
// end by its deadline, and once one got no reply the rest throw at once,
// unsent, except retry::deliver writes (sent, awaited for what is left). In cluster mode each command goes to the slot of its keys, which
// must share one (hash tags: README "Redis keys"); a command whose keys do
// not throws server_error("CROSSSLOT ...") before anything is sent. In
// single-node mode no slot is computed at all.

#include "redis/budget.hpp"
#include "redis/client.hpp"
#include "redis/connection.hpp"
#include "redis/script.hpp"
#include "redis/server_identity.hpp"

#include <chrono>
#include <functional>
#include <memory>
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
  /// Over one server or a cluster; `c` must outlive the service.
  explicit service(connection& c) : link_(c), clustered_(c.clustered()) {}
  /// Over one client; `c` must outlive the service.
  explicit service(client& c);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// True over a cluster: per-slot markers, no commands across slots.
  bool clustered() const noexcept { return clustered_; }

  /// SET key value [EX ttl].
  boost::asio::awaitable<void> set(std::string_view key, std::string_view value,
                                   std::optional<std::chrono::seconds> ttl = std::nullopt);
  /// SET key value NX [EX ttl]; true when it was set.
  boost::asio::awaitable<bool> set_nx(std::string_view key, std::string_view value,
                                      std::optional<std::chrono::seconds> ttl = std::nullopt,
                                      budget* within = nullptr);
  /// GET; nullopt for a missing key.
  boost::asio::awaitable<std::optional<std::string>> get(std::string_view key, budget* within = nullptr);
  /// DEL; how many keys were removed.
  boost::asio::awaitable<long long> del(std::string_view key, budget* within = nullptr);
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
  boost::asio::awaitable<std::optional<std::string>> getdel(std::string_view key, budget* within = nullptr);
  /// PUBLISH; how many subscribers received it.
  boost::asio::awaitable<long long> publish(std::string_view channel, std::string_view message,
                                            budget* within = nullptr);
  /// SCAN cursor MATCH pattern COUNT count, on one node (any master in a cluster).
  boost::asio::awaitable<scan_page> scan(std::string_view cursor, std::string_view match, std::size_t count);
  /// Every key matching `match`, by SCAN with COUNT `count` on every master
  /// (the one node in single-node mode), each key once. Never KEYS.
  boost::asio::awaitable<std::vector<std::string>> scan_all(std::string match, std::size_t count);
  /// EVALSHA, falling back to EVAL on NOSCRIPT. `s` must outlive the call.
  boost::asio::awaitable<reply> eval(const script& s, std::span<const std::string> keys,
                                     std::span<const std::string> args, retry policy = retry::never,
                                     budget* within = nullptr);
  /// PING; throws unless PONG.
  boost::asio::awaitable<void> ping();
  /// Any command: `command({"HSET", "h", "f", "v"})`. Error replies throw server_error.
  boost::asio::awaitable<reply> command(std::vector<std::string> args, retry policy = retry::never,
                                        budget* within = nullptr);

  /// Many commands issued at once (they leave together: auto-pipelining, on
  /// every node they go to) and their replies in the same order; error
  /// replies are returned, not thrown. Throws core::unavailable_error when
  /// any of them got no reply, server_error("CROSSSLOT ...") as command().
  boost::asio::awaitable<std::vector<reply>> pipeline(std::vector<std::vector<std::string>> commands,
                                                      retry policy = retry::never, budget* within = nullptr);

  /// The name of the marker `base` that vouches for `key`: `base` itself on
  /// one node; in a cluster `base:{<tag_for_slot(s)>}`, s being `key`'s slot
  /// (a marker must live on the node of the keys it vouches for, and meet
  /// them in one MGET or script).
  std::string marker_for(std::string_view base, std::string_view key) const;

  /// Deletes the marker `base` (all its per-slot keys in a cluster): a data
  /// set in an older layout is then no longer vouched for.
  boost::asio::awaitable<void> drop_marker(std::string base);

  /// A refill of the data set marked by `base` begins: writes the key
  /// `refilling:<marker>:<token>` (`token` unique to this refill) beside the
  /// marker (each slot's in a cluster: the same hash tag, so the same node).
  boost::asio::awaitable<void> begin_refill(std::string base, std::string token);

  /// The refill begun with `token` has copied everything: sets the marker
  /// `base` to `value` wherever its token key is still there, and deletes
  /// it. False when it was not somewhere: that node lost its data during
  /// the refill, and with it part of what was copied, so its marker stays
  /// missing and the set must be refilled again. Refills of other
  /// processes meanwhile change nothing of this.
  boost::asio::awaitable<bool> seal_refill(std::string base, std::string token, std::string value);

  /// Whether the marker `base` is missing: the one key on a single node; in
  /// a cluster, any of the per-slot keys of every 64th slot (256 GETs,
  /// pipelined), which finds a master that lost its data unless it serves
  /// fewer than 64 slots (those are still caught by the first check that
  /// reads their marker). Throws core::unavailable_error when Redis cannot answer.
  boost::asio::awaitable<bool> marker_missing(std::string base);

  /// The `run_id` of the one server commands reach now; "" when unknown or
  /// in a cluster (connection::server_run_id). Valid until the next suspension.
  std::string_view server_run_id() const noexcept { return link_.server_run_id(); }

  /// The start of a refill's token key (begin_refill): before the
  /// marker's name, not after, so that `<marker>:*` lists the markers alone.
  static constexpr std::string_view refill_prefix = "refilling:";

  /// What the service sends through.
  connection& link() noexcept { return link_; }

 private:
  static std::string encode(std::initializer_list<std::string_view> args);
  static std::string slot_marker(std::string_view base, std::uint16_t slot);
  int slot_for(std::string_view key) const;
  // make(name) for the marker `base` (each slot's copy of it in a cluster),
  // pipelined; throws on an error reply. How many replies were the integer 0.
  boost::asio::awaitable<std::size_t> on_markers(std::function<std::vector<std::string>(std::string_view)> make,
                                                 const std::string& base);
  // make(slot) for every slot, pipelined a window at a time; as on_markers.
  boost::asio::awaitable<std::size_t> on_every_slot(std::function<std::vector<std::string>(std::uint16_t)> make);

  // The deadline of a command sent `within` a request's budget (none
  // without one). Throws core::unavailable_error, asking nothing, when
  // the budget is no longer open, unless the command is retry::deliver.
  static connection::time_point admit(const budget* within, retry policy);
  // Inside a catch of core::unavailable_error: a command got no reply, so
  // the request does not ask Redis again. Rethrows.
  [[noreturn]] static void spend_and_rethrow(budget* within);
  boost::asio::awaitable<reply> checked(std::string encoded, retry policy, int slot, budget* within = nullptr);
  boost::asio::awaitable<void> expect_ok(std::string encoded, int slot);
  boost::asio::awaitable<std::optional<std::string>> optional_text(std::string encoded, retry policy, int slot,
                                                                   budget* within = nullptr);
  boost::asio::awaitable<long long> integer(std::string encoded, retry policy, int slot, budget* within = nullptr);

  std::unique_ptr<connection> owned_;  ///< set by service(client&)
  connection& link_;
  bool clustered_;
};

}  // namespace bakewind::redis
