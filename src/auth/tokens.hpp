#pragma once
// Issuing, rotating and revoking tokens. Access tokens are checked per
// request (see revocation); refresh tokens are single-use, recorded in
// PostgreSQL with their family (every token descended from one login), and a
// reused one revokes its whole family (RFC 9700 reuse detection).

#include "auth/jwt.hpp"
#include "auth/verified_tokens.hpp"
#include "auth/revocation.hpp"
#include "auth/token_store.hpp"
#include "auth/users.hpp"
#include "pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace bakewind::auth {

struct token_pair {
  std::string access_token;
  std::string refresh_token;
  long long expires_in = 0;  ///< the access token's lifetime, seconds
};

/// Who an authenticated request comes from: a verified, unrevoked access token.
struct principal {
  std::string user_id;
  std::string bakery_id;
  std::string role;
  std::string jti;
  long long exp = 0;        ///< the token's expiry, seconds since the epoch
  long long issued_ms = 0;  ///< from its jti
  std::string token;        ///< the access token itself (the transfer hand-off carries it)
};

/// What a logout did.
struct logout_result {
  bool everywhere = true;  ///< Redis holds it too, so every instance refuses the tokens now
  long long cutoff_ms = 0;  ///< a logout-all's cutoff
};

class token_service {
 public:
  /// All references must outlive the service. The refresh tokens' record
  /// is in `pg` (token_store).
  token_service(const jwt_codec& codec, pg::pool& pg, revocation& revoked, std::chrono::seconds access_ttl,
                std::chrono::seconds refresh_ttl);

  /// A new pair for `u`, its refresh token the first of a new family.
  boost::asio::awaitable<token_pair> issue(const user& u);

  /// Rotates a refresh token: the presented one is used up and a new pair
  /// comes back (ok), or nothing does (invalid: not a live refresh token of
  /// ours; revoked: logged out, cut off, or reused, which revokes its family).
  /// What it revoked goes to Redis within `budget` (the record decides).
  boost::asio::awaitable<std::pair<refresh_check, token_pair>> refresh(std::string refresh_token,
                                                                      redis::budget& budget);

  /// The claims of `refresh_token` when it is a refresh token of `user_id`,
  /// signed by us and unexpired; nullopt otherwise. No revocation check
  /// (used, logged out, cut off): that is the caller's to make (the
  /// transfer's lookup), as for an access token from verify_access.
  std::optional<claims> refresh_claims(std::string_view refresh_token, std::string_view user_id) const;

  /// Revokes the caller's access token, and `refresh_token` too when it is
  /// one of the caller's (anything else is ignored): in the record, then in
  /// Redis within `budget`. Throws core::unavailable_error when the record
  /// cannot take it. `everywhere` false: Redis did not confirm it in time
  /// (revocation::revoke); the record's stands and Redis gets it in the
  /// background, but it is not yet refused by every instance.
  boost::asio::awaitable<logout_result> logout(const principal& who, std::optional<std::string> refresh_token,
                                               redis::budget& budget);

  /// Rejects every token of the caller issued until now (the result's
  /// cutoff, ms). Stores and answers as logout().
  boost::asio::awaitable<logout_result> logout_all(const principal& who, redis::budget& budget);

  /// Verifies an access token's signature, type and expiry (no revocation
  /// check); nullopt when it is not a valid access token. A token verified
  /// before by this loop has only its expiry checked again (verified_tokens).
  std::optional<principal> verify_access(std::string_view token) const;

  /// Deletes refresh tokens that have expired; how many.
  boost::asio::awaitable<long long> purge_expired();

 private:
  // A token of `type` that is signed by us, well formed and unexpired now:
  // checked in full once per loop, then found in verified_.
  std::optional<claims> verified(std::string_view token, token_type type) const;
  std::optional<claims> verify_refresh(std::string_view token) const;
  // The id and expiry of a refresh token issued at `now`.
  next_refresh next_refresh_at(std::chrono::system_clock::time_point now) const;
  // `u`'s access token issued at `now` and the refresh token `r`, signed.
  token_pair signed_pair(const user& u, std::chrono::system_clock::time_point now, const next_refresh& r) const;

  const jwt_codec& codec_;
  token_store store_;
  revocation& revoked_;
  std::chrono::seconds access_ttl_;
  std::chrono::seconds refresh_ttl_;
  // Remembering what verify_access proved changes no answer it gives.
  mutable verified_tokens verified_{4096};
};

}  // namespace bakewind::auth
