#pragma once
// Refresh tokens in PostgreSQL: all SQL about refresh_tokens. Every token we
// issue is recorded with its family (every token descended from one login);
// rotation uses one up and, when a used one comes back, revokes its family.
// Infrastructure failures throw (pg errors, unavailable_error); outcomes that
// depend on the token come back as values.

#include "auth/users.hpp"
#include "pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace bakewind::auth {

/// What a presented refresh token turned out to be.
enum class refresh_check { ok, invalid, revoked };

/// A refresh token that a rotation recorded in revoked_tokens, for Redis to
/// learn of once the rotation has committed.
struct revoked_refresh {
  std::string jti;
  std::string user_id;
  long long expires_s = 0;  ///< the token's expiry, seconds since the epoch
};

/// A refresh token about to be issued: its id and expiry (seconds since the epoch).
struct next_refresh {
  std::string jti;
  long long expires_s = 0;
};

/// What rotating a refresh token found in the record, and what it revoked.
struct rotation {
  refresh_check check = refresh_check::invalid;
  std::optional<user> owner;             ///< the token's user, when ok
  std::string family;                    ///< the family its successor continues, when ok
  std::vector<revoked_refresh> revoked;  ///< the used token (ok), or its family (reused)
};

class token_store {
 public:
  /// `pg` must outlive the store.
  explicit token_store(pg::pool& pg) : pg_(pg) {}

  /// Records an issued refresh token `jti` of `user_id` in `family`, expiring
  /// at `expires_s` (seconds since the epoch).
  boost::asio::awaitable<void> record_issued(std::string jti, std::string family, std::string user_id,
                                             long long expires_s);

  /// Uses up the refresh token `jti`, issued at `issued_ms`, and records its
  /// successor `next` in its family, in one transaction: of two concurrent
  /// rotations exactly one gets ok, and a reuse that revokes the family
  /// revokes the successor too (recorded later, it would have missed it).
  /// ok when it was live (unused, unrevoked, unexpired, issued after its
  /// user's logout-all), and then recorded as revoked too; revoked when it
  /// was used or revoked before (used: its whole family is revoked now);
  /// invalid when it is unknown or expired.
  boost::asio::awaitable<rotation> rotate(std::string jti, long long issued_ms, next_refresh next);

  /// Revokes the refresh token `jti` when it is `user_id`'s and not revoked yet.
  boost::asio::awaitable<void> revoke(std::string jti, std::string user_id);

  /// Revokes every unrevoked refresh token of `user_id`.
  boost::asio::awaitable<void> revoke_all(std::string user_id);

  /// Deletes refresh tokens that have expired; how many.
  boost::asio::awaitable<long long> purge_expired();

 private:
  pg::pool& pg_;
};

}  // namespace bakewind::auth
