#include "app/health_routes.hpp"

namespace bakewind::app {

namespace asio = boost::asio;

void add_health_routes(http::router& routes, const observability::readiness& ready) {
  routes.add(http::method::get, "/health/live", [](http::request&) -> asio::awaitable<http::response> {
    co_return http::json_response(200, boost::json::object{{"status", "ok"}});
  });
  routes.add(http::method::get, "/health/ready", [&ready](http::request&) -> asio::awaitable<http::response> {
    const auto report = co_await ready.run();
    co_return http::json_response(report.ok ? 200 : 503, report.body);
  });
}

}  // namespace bakewind::app
