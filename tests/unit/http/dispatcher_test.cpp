#include "http/dispatcher.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <boost/system/system_error.hpp>

#include <map>

namespace bakewind::http {
namespace {

namespace asio = boost::asio;

struct fake_headers {
  std::map<std::string, std::string> values;  // lower-case names
  static std::optional<std::string_view> lookup(const void* self, std::string_view name) {
    const auto& v = static_cast<const fake_headers*>(self)->values;
    std::string lower(name);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto it = v.find(lower);
    if (it == v.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

class dispatcher_test : public ::testing::Test {
 protected:
  dispatcher_test() : cors({"http://localhost:3000"}), dispatch(routes, cors) {
    routes.add(method::post, "/echo", [](request& r) -> asio::awaitable<response> {
      co_return json_response(200, r.json ? *r.json : boost::json::value("no json"));
    });
    routes.add(method::get, "/client-error", [](request&) -> asio::awaitable<response> {
      throw http_error(409, "Order is locked by another user", {{"lock", nullptr}});
      co_return empty_response(200);
    });
    routes.add(method::get, "/down", [](request&) -> asio::awaitable<response> {
      throw core::unavailable_error("postgres", "connection refused to 10.0.0.1 secret-detail");
      co_return empty_response(200);
    });
    routes.add(method::get, "/cancelled", [](request&) -> asio::awaitable<response> {
      throw boost::system::system_error(asio::error::operation_aborted, "postgres wait cancelled");
      co_return empty_response(200);
    });
    routes.add(method::get, "/bug", [](request&) -> asio::awaitable<response> {
      throw std::logic_error("internal detail");
      co_return empty_response(200);
    });
  }

  response call(method m, std::string verb, std::string target, std::map<std::string, std::string> headers = {},
                std::string body = {}) {
    fake_headers h{std::move(headers)};
    request req;
    req.verb = m;
    req.verb_text = std::move(verb);
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    std::string_view rest = std::string_view(req.path).substr(1);
    while (!rest.empty()) {
      const auto slash = rest.find('/');
      req.segments.emplace_back(rest.substr(0, slash));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    req.body = std::move(body);
    req.bind_headers(&h, &fake_headers::lookup);
    asio::io_context io;
    auto f = asio::co_spawn(io, dispatch.handle(req), asio::use_future);
    io.run();
    return f.get();
  }

  static boost::json::object body_of(const response& r) { return core::parse_json(r.body)->as_object(); }

  static std::string header(const response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  router routes;
  cors_policy cors;
  dispatcher dispatch;
};

TEST_F(dispatcher_test, unknown_route_is_nest_404) {
  const auto r = call(method::get, "GET", "/nope?x=1");
  EXPECT_EQ(r.status, 404u);
  const auto b = body_of(r);
  EXPECT_EQ(b.at("statusCode"), 404);
  EXPECT_EQ(b.at("error"), "Not Found");
  EXPECT_EQ(b.at("message"), "Cannot GET /nope?x=1");
}

TEST_F(dispatcher_test, wrong_method_is_405_with_allow) {
  const auto r = call(method::del, "DELETE", "/echo");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(header(r, "Allow"), "POST");
  EXPECT_EQ(body_of(r).at("message"), "Cannot DELETE /echo");
  EXPECT_EQ(body_of(r).at("error"), "Method Not Allowed");
}

TEST_F(dispatcher_test, malformed_json_is_400_and_handler_not_called) {
  const auto r = call(method::post, "POST", "/echo", {{"content-type", "application/json"}}, "{\"a\":");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(body_of(r).at("message"), "Malformed JSON body");
}

TEST_F(dispatcher_test, json_body_reaches_handler) {
  const auto r =
      call(method::post, "POST", "/echo", {{"content-type", "application/json; charset=utf-8"}}, R"({"a":1})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"({"a":1})");
}

TEST_F(dispatcher_test, non_json_body_is_not_parsed) {
  const auto r = call(method::post, "POST", "/echo", {{"content-type", "text/plain"}}, "{oops");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, R"("no json")");
}

TEST_F(dispatcher_test, client_error_keeps_its_extra_fields) {
  const auto r = call(method::get, "GET", "/client-error");
  EXPECT_EQ(r.status, 409u);
  const auto b = body_of(r);
  EXPECT_EQ(b.at("error"), "Conflict");
  EXPECT_EQ(b.at("message"), "Order is locked by another user");
  EXPECT_TRUE(b.at("lock").is_null());
}

TEST_F(dispatcher_test, dependency_failure_is_503_naming_what_is_unavailable_without_detail) {
  const auto r = call(method::get, "GET", "/down");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.body.find("secret-detail"), std::string::npos);
  EXPECT_EQ(body_of(r).at("error"), "Service Unavailable");
  EXPECT_EQ(body_of(r).at("message"), "The service is unavailable: the database is not answering");
  EXPECT_EQ(header(r, "Retry-After"), "2");
}

TEST(router_services, the_longest_named_prefix_of_whole_segments_names_a_route) {
  router routes;
  routes.name_service("/api/v1/orders", "Orders are");
  routes.name_service("/api/v1/orders/{id}/lock", "Order locks are");
  EXPECT_EQ(routes.service_at("/api/v1/orders"), "Orders are");
  EXPECT_EQ(routes.service_at("/api/v1/orders/{id}"), "Orders are");
  EXPECT_EQ(routes.service_at("/api/v1/orders/{id}/lock"), "Order locks are");
  EXPECT_EQ(routes.service_at("/api/v1/ordersx"), "The service is");
  EXPECT_EQ(routes.service_at(""), "The service is");
}

// A handler cancelled at shutdown (its store wait aborted) is neither a bug
// (500) nor a store down: a 503 that says so, to try another instance.
TEST_F(dispatcher_test, a_cancelled_handler_is_503_shutting_down) {
  const auto r = call(method::get, "GET", "/cancelled");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(body_of(r).at("message"), "The service is unavailable: this instance is shutting down");
  EXPECT_EQ(header(r, "Retry-After"), "2");
}

TEST_F(dispatcher_test, unexpected_exception_is_plain_500) {
  const auto r = call(method::get, "GET", "/bug");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.body, R"({"statusCode":500,"message":"Internal server error"})");
}

TEST_F(dispatcher_test, request_id_is_echoed_or_generated) {
  EXPECT_EQ(header(call(method::get, "GET", "/x", {{"x-request-id", "abc-123"}}), "X-Request-Id"), "abc-123");
  const auto generated = header(call(method::get, "GET", "/x", {{"x-request-id", "bad id\x01"}}), "X-Request-Id");
  EXPECT_EQ(generated.size(), 36u);
}

TEST_F(dispatcher_test, preflight_from_allowed_origin_gets_cors_headers) {
  const auto r = call(method::options, "OPTIONS", "/anything",
                      {{"origin", "http://localhost:3000"},
                       {"access-control-request-method", "PATCH"},
                       {"access-control-request-headers", "authorization,x-lock-session"}});
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_NE(header(r, "Access-Control-Allow-Methods").find("PATCH"), std::string::npos);
  EXPECT_EQ(header(r, "Access-Control-Allow-Headers"), "authorization,x-lock-session");
  EXPECT_EQ(header(r, "Access-Control-Allow-Credentials"), "true");
}

TEST_F(dispatcher_test, preflight_from_other_origin_gets_no_allow_origin) {
  const auto r = call(method::options, "OPTIONS", "/echo",
                      {{"origin", "http://evil.example"}, {"access-control-request-method", "POST"}});
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "");
}

TEST_F(dispatcher_test, simple_request_from_allowed_origin_is_marked) {
  const auto r = call(method::get, "GET", "/nope", {{"origin", "http://localhost:3000"}});
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(header(r, "Vary"), "Origin");
}

}  // namespace
}  // namespace bakewind::http
