#pragma once
// The revocation record in PostgreSQL: all SQL about revoked_tokens and the
// users' logout-all cutoffs (users.tokens_valid_after). Infrastructure
// failures throw (pg errors, unavailable_error).

#include "pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bakewind::auth {

/// A live revocation, as a refill copies it into Redis.
struct recorded_revocation {
  std::string jti;
  std::string user_id;
  long long ttl_s = 0;  ///< seconds its token has left to live, at least 1
};

/// A user's logout-all cutoff.
struct recorded_cutoff {
  std::string user_id;
  long long cutoff_ms = 0;  ///< ms since the epoch
};

class revocation_store {
 public:
  /// `pg` must outlive the store.
  explicit revocation_store(pg::pool& pg) : pg_(pg) {}

  /// Whether the token `jti` of `user_id`, issued at `issued_ms`, is revoked:
  /// itself, or by a logout-all at or after its issue. A user that no
  /// longer exists has no valid tokens (true).
  boost::asio::awaitable<bool> is_revoked(std::string jti, std::string user_id, long long issued_ms);

  /// Records the token `jti` of `user_id` as revoked until `expires_s`
  /// (seconds since the epoch); `refresh` flags a refresh token. Recording
  /// one twice is no error.
  boost::asio::awaitable<void> record(std::string jti, std::string user_id, long long expires_s, bool refresh);

  /// Sets `user_id`'s logout-all cutoff (ms since the epoch).
  boost::asio::awaitable<void> set_cutoff(std::string user_id, long long cutoff_ms);

  /// Up to `limit` live revocations with a jti after `after`, in jti order
  /// (pages of a walk through all of them).
  boost::asio::awaitable<std::vector<recorded_revocation>> live_after(std::string after, std::size_t limit);

  /// The cutoffs set within the last `lifetime_s` seconds (older ones cover
  /// no live token).
  boost::asio::awaitable<std::vector<recorded_cutoff>> recent_cutoffs(long long lifetime_s);

  /// Deletes revocations whose tokens have expired anyway; how many.
  boost::asio::awaitable<long long> purge_expired();

  /// How many access tokens are revoked and not yet expired (refresh tokens
  /// are not counted).
  boost::asio::awaitable<std::int64_t> count_revoked();

 private:
  pg::pool& pg_;
};

}  // namespace bakewind::auth
