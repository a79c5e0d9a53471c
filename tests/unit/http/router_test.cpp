#include "http/router.hpp"

#include <gtest/gtest.h>

namespace bakewind::http {
namespace {

namespace asio = boost::asio;

handler named(std::string name) {
  return [name](request&) -> asio::awaitable<response> { co_return empty_response(200); };
}

request make(method m, std::vector<std::string> segments) {
  request r;
  r.verb = m;
  r.segments = std::move(segments);
  return r;
}

class router_test : public ::testing::Test {
 protected:
  router_test() {
    routes.add(method::get, "/api/v1/orders", named("list"));
    routes.add(method::post, "/api/v1/orders", named("create"));
    routes.add(method::get, "/api/v1/orders/{id}", named("get"));
    routes.add(method::patch, "/api/v1/orders/{id}", named("patch"));
    routes.add(method::del, "/api/v1/orders/{id}/lock", named("unlock"));
    routes.add(method::get, "/api/v1/orders/{id}/lock", named("lock-state"));
  }
  router routes;
};

TEST_F(router_test, literal_route_is_found_for_its_method) {
  auto req = make(method::post, {"api", "v1", "orders"});
  const auto m = routes.match(req);
  EXPECT_EQ(m.kind, route_match::found);
  EXPECT_EQ(m.pattern, "/api/v1/orders");
  EXPECT_EQ(req.route, "/api/v1/orders");
}

TEST_F(router_test, parameter_is_captured) {
  auto req = make(method::get, {"api", "v1", "orders", "abc 1", "lock"});
  const auto m = routes.match(req);
  ASSERT_EQ(m.kind, route_match::found);
  EXPECT_EQ(m.pattern, "/api/v1/orders/{id}/lock");
  EXPECT_EQ(req.param("id"), "abc 1");
  EXPECT_EQ(req.param("other"), "");
}

TEST_F(router_test, wrong_method_on_known_path_lists_allowed_methods) {
  auto req = make(method::put, {"api", "v1", "orders", "x"});
  const auto m = routes.match(req);
  EXPECT_EQ(m.kind, route_match::method_not_allowed);
  EXPECT_EQ(m.allowed, "GET, PATCH");
}

TEST_F(router_test, unknown_path_is_not_found) {
  auto req = make(method::get, {"api", "v1", "nothing"});
  EXPECT_EQ(routes.match(req).kind, route_match::not_found);
  auto deeper = make(method::get, {"api", "v1", "orders", "x", "lock", "y"});
  EXPECT_EQ(routes.match(deeper).kind, route_match::not_found);
}

TEST_F(router_test, empty_segment_does_not_fill_a_parameter) {
  auto req = make(method::get, {"api", "v1", "orders", "", "lock"});
  EXPECT_EQ(routes.match(req).kind, route_match::not_found);
}

TEST_F(router_test, head_is_served_by_get) {
  auto req = make(method::head, {"api", "v1", "orders"});
  EXPECT_EQ(routes.match(req).kind, route_match::found);
}

TEST_F(router_test, malformed_patterns_are_refused) {
  router r;
  EXPECT_THROW(r.add(method::get, "no-slash", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(method::get, "/a//b", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(method::get, "/a/{}", named("x")), std::invalid_argument);
  EXPECT_THROW(r.add(method::get, "/a/{open", named("x")), std::invalid_argument);
}

TEST_F(router_test, table_groups_methods_by_pattern) {
  const auto t = routes.table();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].first, "/api/v1/orders");
  EXPECT_EQ(t[0].second.size(), 2u);
}

TEST_F(router_test, fallback_takes_get_and_head_that_match_no_route) {
  routes.set_fallback(named("static"));
  auto get = make(method::get, {"orders", "abc"});
  const auto m = routes.match(get);
  EXPECT_EQ(m.kind, route_match::found);
  EXPECT_EQ(m.pattern, "/*");
  EXPECT_EQ(get.route, "/*");
  auto head = make(method::head, {});
  EXPECT_EQ(routes.match(head).kind, route_match::found);
  auto post = make(method::post, {"orders", "abc"});
  EXPECT_EQ(routes.match(post).kind, route_match::not_found);
  // Real routes still win, and a known path with the wrong method stays a 405.
  auto list = make(method::get, {"api", "v1", "orders"});
  EXPECT_EQ(routes.match(list).pattern, "/api/v1/orders");
  auto wrong = make(method::get, {"api", "v1", "orders", "x", "lock", "y"});
  EXPECT_EQ(routes.match(wrong).pattern, "/*");
  auto put = make(method::put, {"api", "v1", "orders"});
  EXPECT_EQ(routes.match(put).kind, route_match::method_not_allowed);
}

}  // namespace
}  // namespace bakewind::http
