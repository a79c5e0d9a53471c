#include "app/health_routes.hpp"

#include "app/event_loop.hpp"
#include "app/telemetry.hpp"

#include <openssl/crypto.h>

namespace bakewind::app {

namespace asio = boost::asio;

namespace {

// /health and /metrics ask for a new count when theirs is older than this;
// they never wait for it (the figure's age is reported instead).
constexpr std::chrono::milliseconds counts_fresh{2000};

// METRICS_TOKEN, when set, is required as a bearer token; compared in
// constant time.
bool metrics_allowed(const http::request& req, const std::string& token) {
  if (token.empty()) return true;
  const std::string_view sent = bearer_token(req);
  return sent.size() == token.size() && CRYPTO_memcmp(sent.data(), token.data(), token.size()) == 0;
}

// 200, or 503 with Retry-After as every 503 has (the body's checks say
// which store is down).
http::response health_response(bool ok, const boost::json::object& body) {
  http::response res = http::json_response(ok ? 200 : 503, body);
  if (!ok) http::add_retry_after(res);
  return res;
}

}  // namespace

void add_health_routes(http::router& routes, event_loop& loop, process_services& shared) {
  routes.add(http::method::get, "/health/live", [](http::request&) -> asio::awaitable<http::response> {
    co_return http::json_response(200, boost::json::object{{"status", "ok"}});
  });
  routes.add(http::method::get, "/health/ready", [&loop](http::request&) -> asio::awaitable<http::response> {
    const auto report = co_await loop.ready.run();
    co_return health_response(report.ok, report.body);
  });
  routes.add(http::method::get, "/health", [&loop, &shared](http::request&) -> asio::awaitable<http::response> {
    shared.counts.refresh_if_older(counts_fresh, loop.io.get_executor(), {loop.locks, loop.revocation, loop.redis});
    auto report = co_await loop.ready.run();
    add_health_figures(report.body, shared);
    co_return health_response(report.ok, report.body);
  });
  routes.add(http::method::get, "/metrics", [&loop, &shared](http::request& req) -> asio::awaitable<http::response> {
    if (!metrics_allowed(req, shared.cfg.metrics_token)) throw http::http_error(401, "Unauthorized");
    shared.counts.refresh_if_older(counts_fresh, loop.io.get_executor(), {loop.locks, loop.revocation, loop.redis});
    http::response res;
    res.status = 200;
    res.body = shared.metrics.render();
    res.content_type = observability::exposition_content_type;
    res.headers.emplace_back("Cache-Control", "no-store");
    co_return res;
  });
}

}  // namespace bakewind::app
