// Request metrics keep their labels bounded: declared patterns only (else
// "unmatched"), statuses from a fixed list (else "other").

#include "http/request_metrics.hpp"

#include <gtest/gtest.h>

namespace bakewind::http {
namespace {

using namespace std::chrono_literals;

std::string render(const request_metrics& m) {
  observability::registry r;
  m.register_with(r);
  return r.render();
}

TEST(request_metrics, counts_by_method_declared_route_and_status) {
  request_metrics m;
  m.declare("/api/v1/orders/{id}");
  m.declare("/api/v1/orders/{id}");  // every loop declares the same routes
  m.observe(method::get, "/api/v1/orders/{id}", 200, 1ms);
  m.observe(method::get, "/api/v1/orders/{id}", 200, 2ms);
  m.observe(method::patch, "/api/v1/orders/{id}", 409, 1ms);
  const auto text = render(m);
  EXPECT_NE(text.find("http_requests_total{method=\"GET\",route=\"/api/v1/orders/{id}\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("http_requests_total{method=\"PATCH\",route=\"/api/v1/orders/{id}\",status=\"409\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/orders/{id}\","
                      "status=\"200\"} 2\n"),
            std::string::npos)
      << text;
}

TEST(request_metrics, undeclared_routes_and_unknown_statuses_stay_bounded) {
  request_metrics m;
  m.declare("/known");
  m.observe(method::get, "", 404, 1ms);
  m.observe(method::get, "/not/declared/123", 404, 1ms);
  m.observe(method::other, "/known", 599, 1ms);
  const auto text = render(m);
  EXPECT_NE(text.find("http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("http_requests_total{method=\"OTHER\",route=\"/known\",status=\"other\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("/not/declared"), std::string::npos) << text;
}

TEST(request_metrics, series_appear_only_once_they_happened) {
  request_metrics m;
  m.declare("/quiet");
  const auto text = render(m);
  EXPECT_EQ(text.find("/quiet"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE http_requests_total counter"), std::string::npos);
}

}  // namespace
}  // namespace bakewind::http
