#pragma once
// The routing table: (method, path pattern with `{params}`) -> handler.
// Routes are data, registered once at start-up; matching never allocates
// beyond the captured parameters.

#include "http/request.hpp"
#include "http/response.hpp"
#include "http/websocket.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::http {

/// A route handler. It may throw http_error (client error) or any exception
/// (system failure, answered 500/503 by the dispatcher).
using handler = std::function<boost::asio::awaitable<response>(request&)>;

/// What matching a request found.
struct route_match {
  enum kind_t { found, not_found, method_not_allowed } kind = not_found;
  const handler* target = nullptr;  ///< set when found
  std::string_view pattern;         ///< the matched route's pattern, when found or 405
  std::string allowed;              ///< "GET, POST" for a 405's Allow header
};

class router {
 public:
  /// Adds a route. `pattern` is "/a/{name}/b"; a `{name}` segment matches one
  /// non-empty path segment. Throws std::invalid_argument on a malformed pattern.
  void add(method m, std::string_view pattern, handler h);

  /// Adds a WebSocket route: a GET with `Upgrade: websocket` on `pattern`
  /// goes to `h`; a plain GET there gets 426 Upgrade Required.
  void add_websocket(std::string_view pattern, ws_handler h);

  /// Serves the GET and HEAD requests that no route matches (a static web
  /// app's files); its pattern in logs and metrics is "/*". Without one,
  /// such requests are 404.
  void set_fallback(handler h) { fallback_ = std::move(h); }

  /// Names what the routes whose pattern starts with `route_prefix` serve,
  /// with its verb ("Orders are"), for the 503 a failing dependency gives
  /// there: "Orders are unavailable: the database is not answering". The
  /// longest prefix wins: "/api/v1/orders/{id}/lock" over "/api/v1/orders".
  void name_service(std::string_view route_prefix, std::string subject);

  /// The subject named for the route `pattern` ("The service is" when none).
  std::string_view service_at(std::string_view pattern) const;

  /// The WebSocket handler for `req`'s path, or null.
  const ws_handler* websocket_for(request& req) const;

  /// Matches decoded path segments; on success fills req.route_params and req.route.
  /// HEAD falls back to GET routes, as Express does.
  route_match match(request& req) const;

  /// Every distinct pattern with its methods, for docs and tests.
  std::vector<std::pair<std::string, std::vector<method>>> table() const;

 private:
  struct segment {
    std::string text;
    bool is_param = false;
  };
  struct route {
    method verb;
    std::string pattern;
    std::vector<segment> segments;
    handler fn;
  };

  static bool matches(const route& r, const std::vector<std::string>& segments);

  std::vector<route> routes_;
  std::vector<std::pair<route, ws_handler>> websockets_;
  handler fallback_;
  std::vector<std::pair<std::string, std::string>> services_;  ///< route prefix, subject
};

}  // namespace bakewind::http
