#pragma once
// One-time SSO hand-off from the website to the dashboard: a 60-second,
// single-use transfer session in Redis (`auth:transfer:{sessionId}`), created
// with SET NX EX and claimed with GETDEL, so that of any number of
// concurrent claims exactly one gets it. The session id is never logged.

#include "auth/revocation.hpp"
#include "redis/service.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bakewind::auth {

struct transfer_session {
  std::string session_id;  ///< 64 lowercase hex chars (32 random bytes)
  std::string expires_at;  ///< ISO-8601
};

/// What a successful claim hands over, as the claim answers it:
/// `{accessToken, refreshToken, userId}`, the bytes core::to_json writes for
/// that object.
struct transfer_grant {
  std::string json;
  /// The `run_id` of the Redis server that stored the session; "" when
  /// unknown (a cluster, INFO refused, a payload of an older build).
  std::string stored_on;
};

/// A hand-off to store: the two tokens it carries, both already verified
/// (signature, type, expiry) as tokens of `user_id`; whether either is
/// revoked is for create() to find out.
struct transfer_request {
  std::string user_id;
  std::string access_token;
  std::string access_jti;
  long long access_issued_ms = 0;  ///< from the access token's jti
  std::string refresh_token;
  std::string refresh_jti;
  long long refresh_issued_ms = 0;  ///< from the refresh token's jti
};

/// Whether create() stored the hand-off, or which token stopped it.
enum class transfer_check { created, access_revoked, refresh_revoked };

struct transfer_outcome {
  transfer_check check = transfer_check::created;
  transfer_session session;  ///< when created
};

class transfer_sessions {
 public:
  transfer_sessions(redis::service& redis, std::chrono::seconds ttl) : redis_(redis), ttl_(ttl) {}

  /// Stores the hand-off unless either token is revoked (used, logged out,
  /// cut off by a logout-all): the access token is judged first, then the
  /// refresh token, each exactly as revocation::is_revoked judges it (the
  /// record decides when Redis cannot vouch). A refused hand-off leaves no
  /// session that anyone could claim. `revoked` must outlive the call.
  /// Throws core::unavailable_error when Redis cannot store it (or, with
  /// REVOCATION_FALLBACK=deny, cannot check it).
  /// Redis is asked within `budget` (the request's).
  boost::asio::awaitable<transfer_outcome> create(revocation& revoked, transfer_request request,
                                                  redis::budget& budget);

  /// Takes the session (once); nullopt for an unknown, expired or already
  /// claimed one, or anything that is not a session id. Also nullopt for a
  /// session stored on another Redis server than the one that answers now
  /// (a promoted replica, a restarted server): that one may have missed the
  /// delete of an earlier claim, so the session may have been claimed.
  /// Throws core::unavailable_error when Redis gives no answer within `budget`.
  boost::asio::awaitable<std::optional<transfer_grant>> claim(std::string session_id, redis::budget& budget);

 private:
  boost::asio::awaitable<void> forget(std::string id, redis::budget& budget);
  // Stores the hand-off under a new id, stamped with the server it reaches;
  // its id. Throws core::unavailable_error when that fails twice.
  boost::asio::awaitable<std::string> store_again(const transfer_request& request, const std::string& created_at,
                                                  redis::budget& budget);

  redis::service& redis_;
  std::chrono::seconds ttl_;
};

/// The stored value of a session: `{accessToken, refreshToken, userId,
/// createdAt, storedOn}` in that order (no `storedOn` when `stored_on` is
/// empty), the bytes core::to_json writes for that object (what every
/// instance, older ones included, reads).
std::string transfer_payload(std::string_view access_token, std::string_view refresh_token,
                             std::string_view user_id, std::string_view created_at, std::string_view stored_on = {});

/// The grant in a stored value: any JSON object with string `accessToken`,
/// `refreshToken` and `userId`, and `storedOn` when it is a string (other
/// members ignored); nullopt for anything else.
std::optional<transfer_grant> read_transfer_payload(std::string stored);

}  // namespace bakewind::auth
