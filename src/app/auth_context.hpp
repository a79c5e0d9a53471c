#pragma once
// What the auth and users routes of one event loop work with, and the
// authentication step every protected route starts with.

#include "app/route_counters.hpp"
#include "auth/passwords.hpp"
#include "auth/rate_limit.hpp"
#include "auth/revocation.hpp"
#include "auth/tokens.hpp"
#include "auth/transfer.hpp"
#include "auth/user_cache.hpp"
#include "auth/users.hpp"
#include "core/config.hpp"
#include "http/request.hpp"
#include "locks/events.hpp"
#include "redis/budget.hpp"

#include <boost/asio/awaitable.hpp>

namespace bakewind::app {

struct auth_context {
  const core::config& cfg;
  auth::password_hasher& hasher;
  auth::users_repository& users;
  auth::token_service& tokens;
  auth::revocation& revocation;
  auth::transfer_sessions& transfers;
  auth::rate_limiter& limiter;
  auth::user_cache& user_rows;          ///< user rows for routes that only show them
  route_counters& counters;             ///< hand-offs and rate-limit refusals, for /metrics
  locks::event_bus* notices = nullptr;  ///< tells every instance to close revoked WebSockets; may be null
};

/// Throws http_error 403 `Forbidden` unless `who` is an owner or an admin.
void require_manager(const auth::principal& who);

/// A request's wait for Redis (REDIS_REQUEST_BUDGET_MS from now): each
/// handler makes one and passes it to every call that may ask Redis.
redis::budget request_budget(const auth_context& ctx);

/// As authenticate(), for a token that did not come in a header (the
/// WebSocket's `?access_token=`).
boost::asio::awaitable<auth::principal> authenticate_token(std::string_view token, auth_context& ctx,
                                                           redis::budget& budget);

/// The caller of a protected route: a valid access token in
/// `Authorization: Bearer`, not revoked (Redis asked within `budget`).
/// Throws http_error 401 `Unauthorized` (missing, malformed, forged,
/// expired, wrong type) or 401 `Token has been revoked`. Sets `req.user_id`
/// for the access log.
boost::asio::awaitable<auth::principal> authenticate(http::request& req, auth_context& ctx, redis::budget& budget);

/// The same within a budget of its own, for a handler that asks Redis
/// nothing else.
boost::asio::awaitable<auth::principal> authenticate(http::request& req, auth_context& ctx);

/// The token of an `Authorization: Bearer <token>` header, or "".
std::string_view bearer_token(const http::request& req);

/// The client's address: the socket's, or the nearest untrusted hop of
/// X-Forwarded-For when the socket is one of `trusted` proxies.
std::string client_ip(const http::request& req, const std::vector<std::string>& trusted);

}  // namespace bakewind::app
