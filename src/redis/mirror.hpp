#pragma once
// A data set that Redis holds on PostgreSQL's behalf (DESIGN.md "Order
// locks", "Revocation and transfer sessions"): the record is PostgreSQL, and
// Redis answers for it only while it holds all of it. This keeps the two in
// step, once for every such set:
// - the marker: a key (per slot in a cluster, redis::service::marker_for)
//   written after a complete copy, read in the same MGET or script as the
//   keys it vouches for; a missing marker means Redis lost its data;
// - the server's identity: a connection that reached another server
//   (server_history) makes the set untrusted until refilled, and starts the
//   refill at once;
// - the refill: one at a time per process, on one loop, again while the
//   server changes under it, then the marker, then older layouts' markers go;
// - the fallback episode: logged once when answers start coming from
//   PostgreSQL, and once when Redis answers again;
// - writes Redis did not take yet: the record answers until they land.
// Thread-safe: one per data set per process, used by every loop.

#include "core/log_limits.hpp"
#include "redis/server_identity.hpp"
#include "redis/service.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::redis {

/// What a mirrored data set is called and marked by.
struct mirror_spec {
  std::string name;     ///< for logs: "<name> refill failed"
  std::string readers;  ///< for logs: "<readers> fall back to postgres"
  std::string marker;   ///< the marker key (or per-slot base) vouching for the set
  std::vector<std::string> retired_markers;  ///< older layouts' markers: dropped after each refill
  std::string fallback = "postgres";         ///< what answers while Redis is not trusted, for logs
};

class mirror {
 public:
  /// `servers` must outlive the mirror; the mirror listens to it.
  mirror(mirror_spec spec, server_history& servers);
  mirror(const mirror&) = delete;
  mirror& operator=(const mirror&) = delete;

  /// Who refills and where: `fill` copies the whole record into Redis
  /// (without the marker) through `redis`, on `ex`. Call once, before any
  /// client connects; both must outlive every refill.
  void refill_with(boost::asio::any_io_executor ex, service& redis, std::function<boost::asio::awaitable<void>()> fill);

  /// The marker's base name (see service::marker_for).
  const std::string& marker() const noexcept { return spec_.marker; }

  /// Whether Redis answers for the record, judged right after a reply that
  /// showed the marker present (`marker_seen`) or not: the marker was there,
  /// no connection reached another server since the last complete refill,
  /// and no write of ours is still on its way (unsynced_write). When the
  /// first two fail, starts the refill (unless one runs). Any thread.
  bool trusted(bool marker_seen);

  /// The periodic check: starts the refill when a marker is missing
  /// (service::marker_missing) or the server changed since the last refill.
  /// Nothing while Redis cannot answer. Never throws.
  boost::asio::awaitable<void> check();

  /// Notes who answered the latest read: Redis (`why` empty), or PostgreSQL
  /// because of `why`. Logs the start and the end of each fallback episode.
  void answered_by(bool redis, std::string_view why = {});

  /// Whether the latest read fell back to PostgreSQL.
  bool degraded() const noexcept { return fallback_.ongoing(); }

  /// A write the record holds and Redis did not take yet (it is retried in
  /// the background): until the returned hold is dropped, trusted() is
  /// false, so this process's reads go to the record rather than miss it
  /// in Redis. Any thread.
  std::shared_ptr<void> unsynced_write();

 private:
  void start_refill();
  boost::asio::awaitable<void> refill();

  mirror_spec spec_;
  refill_mark mark_;
  core::episode fallback_;
  std::atomic<std::int64_t> unsynced_{0};  ///< writes not yet in Redis (unsynced_write)
  boost::asio::any_io_executor home_;
  service* redis_ = nullptr;
  std::function<boost::asio::awaitable<void>()> fill_;
};

}  // namespace bakewind::redis
