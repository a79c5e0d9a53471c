#pragma once
// One-time SSO hand-off from the website to the dashboard: a 60-second,
// single-use transfer session in Redis (`auth:transfer:{sessionId}`), created
// with SET NX EX and claimed with GETDEL, so that of any number of
// concurrent claims exactly one gets it. The session id is never logged.

#include "redis/service.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace bakewind::auth {

struct transfer_session {
  std::string session_id;  ///< 64 lowercase hex chars (32 random bytes)
  std::string expires_at;  ///< ISO-8601
};

/// What a successful claim hands over.
struct transfer_grant {
  std::string access_token;
  std::string refresh_token;
  std::string user_id;
};

class transfer_sessions {
 public:
  transfer_sessions(redis::service& redis, std::chrono::seconds ttl) : redis_(redis), ttl_(ttl) {}

  /// Stores the hand-off; throws core::unavailable_error when Redis cannot.
  boost::asio::awaitable<transfer_session> create(std::string access_token, std::string refresh_token,
                                                  std::string user_id);

  /// Takes the session (once); nullopt for an unknown, expired or already
  /// claimed one, or anything that is not a session id.
  boost::asio::awaitable<std::optional<transfer_grant>> claim(std::string session_id);

 private:
  redis::service& redis_;
  std::chrono::seconds ttl_;
};

}  // namespace bakewind::auth
