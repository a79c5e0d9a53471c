#pragma once
// Token revocation (DESIGN.md "Revocation and transfer sessions").
// PostgreSQL is the record (revoked_tokens, users.tokens_valid_after); Redis
// answers the per-request check in one round trip:
//   MGET auth:revoked:{<user>}:<jti> auth:nbf:{<user>} <marker>
// (names in auth/revocation_keys.hpp) where the marker is
// auth:revocation:ready:v4 on one node, and in a cluster the copy of it in
// the user's slot (auth:revocation:ready:v4:{<tag>}), so that all three keys
// meet on one node. A missing marker means Redis (or that node) lost its
// data (restart without persistence, FLUSHALL, failover to an empty node):
// answers come from PostgreSQL until a refill has copied the record back and
// set the markers. The same holds, marker or not, after any connection
// reached a server other than before (redis/server_identity: a promoted
// replica or a server restarted from older data may lack a revocation it
// acknowledged): never a revoked token accepted.

#include "auth/jwt.hpp"
#include "auth/revocation_store.hpp"
#include "core/config.hpp"
#include "observability/metric_types.hpp"
#include "pg/pool.hpp"
#include "redis/mirror.hpp"
#include "redis/service.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bakewind::auth {

/// A token whose revocation is asked: its id (viewed: the caller keeps the
/// text alive until the call that takes it completes) and when it was issued
/// (ms since the epoch, from the jti).
struct token_ref {
  std::string_view jti;
  long long issued_ms = 0;
};

/// What the checks did, for /metrics: readable from any thread.
struct revocation_stats {
  observability::counter checks;     ///< is_revoked calls
  observability::counter hits;       ///< of those, revoked
  observability::counter fallbacks;  ///< of those, answered by PostgreSQL (Redis down or not refilled)
};

class revocation {
 public:
  /// All references must outlive the object. `mirror` is shared by every
  /// loop's revocation (made from mirror_spec); `token_lifetime` is the
  /// longest any token lives (the refresh TTL).
  revocation(redis::service& redis, pg::pool& pg, core::revocation_fallback fallback, redis::mirror& mirror,
             std::chrono::seconds token_lifetime);

  /// The revocation keys' marker, and what logs name when checks fall back.
  static redis::mirror_spec mirror_spec(core::revocation_fallback fallback);

  /// True when the token `jti` of `user_id`, issued at `issued_ms`, is revoked
  /// (itself, or by a logout-all at or after its issue). Redis first; when
  /// Redis cannot answer, PostgreSQL (fallback=postgres) or
  /// core::unavailable_error (fallback=deny). Never says "valid" for a
  /// revoked token: every doubt goes to the record. Redis is asked within
  /// `budget` (the request's), or not at all once it is spent.
  boost::asio::awaitable<bool> is_revoked(std::string jti, std::string user_id, long long issued_ms,
                                          redis::budget& budget);

  /// The one command that answers for `tokens`, all of `user_id`, in one
  /// round trip: MGET of each token's key, the user's cutoff and the marker
  /// (one slot). For a caller that sends it along with other commands (a
  /// pipeline) and hands the reply to first_revoked.
  std::vector<std::string> lookup(std::string_view user_id, std::span<const token_ref> tokens) const;

  /// The first of `tokens` (of `user_id`) that is revoked, by its index, or
  /// nullopt when none is. `answer` is the reply to lookup(user_id, tokens)
  /// (an error reply included), or null when Redis gave none; it is read
  /// before the first suspension. `user_id` and `tokens` must outlive the
  /// call. Decides exactly as is_revoked does for each token in turn: a
  /// reply Redis cannot vouch for (none, an error, the marker missing) sends
  /// the tokens to the record (fallback=postgres) or throws
  /// core::unavailable_error when Redis gave none (deny).
  boost::asio::awaitable<std::optional<std::size_t>> first_revoked(std::string_view user_id,
                                                                   std::span<const token_ref> tokens,
                                                                   const redis::reply* answer);

  /// Revokes one token until `expires_s` (its exp): PostgreSQL first, then
  /// Redis within `budget`. Refresh tokens are recorded as such (kept out
  /// of the revokedTokens count). False when Redis did not take it: it is
  /// recorded, and goes to Redis in the background (this process's checks
  /// ask the record until it has), but an instance that reads Redis may
  /// accept the token until then, so the caller must not say it is revoked
  /// everywhere. Throws core::unavailable_error when the record cannot take it.
  boost::asio::awaitable<bool> revoke(std::string jti, std::string user_id, long long expires_s,
                                      redis::budget& budget, token_type type = token_type::access);

  /// Puts into Redis a revocation the record already holds (written by the
  /// caller inside its own transaction), within `budget`; retried in the
  /// background when Redis cannot take it now (this process's checks ask
  /// the record until it has), and then false. Never throws for Redis.
  boost::asio::awaitable<bool> remember(std::string jti, std::string user_id, long long expires_s,
                                        redis::budget& budget);

  /// Rejects every token of `user_id` issued at or before `cutoff_ms`:
  /// PostgreSQL first, then Redis within `budget`; returns and throws as revoke().
  boost::asio::awaitable<bool> revoke_all(std::string user_id, long long cutoff_ms, redis::budget& budget);

  /// Copies live revocations and cutoffs from PostgreSQL into Redis (the
  /// mirror sets the marker after). Safe to run on several instances at once.
  boost::asio::awaitable<void> refill();

  /// How many access tokens the record holds revoked (for /health and /metrics).
  boost::asio::awaitable<std::int64_t> count_revoked() { return record_.count_revoked(); }

  /// Deletes revocations whose tokens have expired anyway; how many.
  boost::asio::awaitable<long long> purge_expired();

  /// What the checks of this loop did.
  const revocation_stats& stats() const noexcept { return stats_; }

 private:
  // What a lookup reply said: decided when Redis answered and can vouch for
  // the answer (then `revoked` is it), else answered tells the record why.
  struct verdict {
    bool decided = false;
    bool answered = false;
    std::optional<std::size_t> revoked;
  };
  verdict read_answer(const redis::reply* answer, std::span<const token_ref> tokens);
  boost::asio::awaitable<std::optional<std::size_t>> ask_record(std::string_view user_id,
                                                                std::span<const token_ref> tokens, bool answered);
  // Writes a revocation the record holds into Redis within `budget`; when
  // Redis did not take it, keeps trying in the background and returns false.
  boost::asio::awaitable<bool> redis_write(std::string key, std::string value, long long ttl_s,
                                           redis::budget& budget);
  boost::asio::awaitable<void> write_all(std::vector<std::vector<std::string>> commands);

  redis::service& redis_;
  revocation_store record_;
  core::revocation_fallback fallback_;
  redis::mirror& mirror_;
  std::chrono::seconds token_lifetime_;
  revocation_stats stats_;
};

}  // namespace bakewind::auth
