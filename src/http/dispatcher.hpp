#pragma once
// The middleware chain every request runs through, transport-free: request
// id, CORS, routing (404/405), JSON body, the handler, error mapping (client
// errors to their 4xx, a failed dependency to a 503 naming what is
// unavailable (router::name_service) with Retry-After, anything else to a 500
// that leaks nothing), one
// access-log line and the request's metrics.

#include "core/log.hpp"
#include "http/cors.hpp"
#include "http/request_metrics.hpp"
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>

namespace bakewind::http {

class dispatcher {
 public:
  /// All must outlive the dispatcher; `metrics` may be null (not counted).
  /// `access_log`: which requests get an access-log line (at info level).
  dispatcher(const router& routes, const cors_policy& cors, request_metrics* metrics = nullptr,
             core::access_log access_log = core::access_log::on)
      : routes_(routes), cors_(cors), metrics_(metrics), access_log_(access_log) {}

  /// Produces the response for `req`. Never throws.
  boost::asio::awaitable<response> handle(request& req) const;

  /// Asks `h` about a WebSocket upgrade of `req`; its failures become a
  /// `reject` response as handle() would answer them. Never throws.
  boost::asio::awaitable<ws_accept> upgrade(request& req, const ws_handler& h) const;

  /// The answer to bytes that could not be read as a request (400, 413 or
  /// 431) or a target that is not a valid URL (400), with `request_id`; it
  /// closes the connection. Logged ("request rejected", under ACCESS_LOG's
  /// rule) and counted like any answer, with no route.
  response unreadable(unsigned status, std::string request_id, std::string_view remote) const;

 private:
  boost::asio::awaitable<response> route(request& req) const;
  void finish(const request& req, unsigned status, std::chrono::steady_clock::time_point started) const;

  const router& routes_;
  const cors_policy& cors_;
  request_metrics* metrics_;
  core::access_log access_log_;
};

/// A request id: the client's X-Request-Id when it is 1..128 safe characters,
/// else a new UUID.
std::string choose_request_id(std::optional<std::string_view> sent);

}  // namespace bakewind::http
