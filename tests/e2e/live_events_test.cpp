// Live events over WebSocket (API.md "Live events"), black-box: the real
// binary, two instances on one Redis and PostgreSQL where it says so.

#include "locks_helpers.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>

namespace bakewind::test::locks_e2e {
namespace {

// Reads until a text frame of `type` arrives; nullopt when none within `limit`.
std::optional<boost::json::object> next_event(ws_client& ws, std::string_view type, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const auto f = ws.read(left);
    if (!f || f->closed) return std::nullopt;
    const auto v = core::parse_json(f->text);
    const auto* t = v && v->is_object() ? v->as_object().if_contains("type") : nullptr;
    if (t != nullptr && t->is_string() && std::string_view(t->get_string()) == type) {
      return v->as_object();
    }
  }
  return std::nullopt;
}

std::string text_of(const boost::json::value& v) { return v.is_string() ? std::string(v.get_string()) : "<not a string>"; }

std::string ws_path(const account& a) { return "/api/v1/ws?access_token=" + a.access; }

TEST(live_events, upgrade_without_a_valid_token_is_401_and_plain_get_is_426) {
  instance a("ws_auth", 30, shared_redis().url());
  ws_client none(a.port(), "/api/v1/ws");
  EXPECT_EQ(none.status(), 401);
  ws_client garbage(a.port(), "/api/v1/ws?access_token=not-a-token");
  EXPECT_EQ(garbage.status(), 401);
  ws_client bad_header(a.port(), "/api/v1/ws", "Authorization: Bearer nope\r\n");
  EXPECT_EQ(bad_header.status(), 401);
  EXPECT_EQ(http_call(a.port(), "GET", "/api/v1/ws").status, 426);
}

TEST(live_events, ping_gets_pong_with_header_or_query_token) {
  instance a("ws_ping", 30, shared_redis().url());
  const auto owner = register_owner(a.port(), "ws_ping");
  ws_client by_query(a.port(), ws_path(owner));
  ASSERT_EQ(by_query.status(), 101);
  by_query.send_text(R"({"type":"ping"})");
  EXPECT_TRUE(next_event(by_query, "pong", 2s));
  ws_client by_header(a.port(), "/api/v1/ws", bearer(owner.access) + "X-Request-Id: ws-rid-7\r\n");
  ASSERT_EQ(by_header.status(), 101);
  // The 101 carries X-Request-Id as every answer does: the client's, or a new one.
  EXPECT_EQ(by_header.header("x-request-id"), "ws-rid-7");
  EXPECT_EQ(by_query.header("x-request-id").size(), 36u);
  by_header.send_text(R"({"type":"ping"})");
  EXPECT_TRUE(next_event(by_header, "pong", 2s));
}

TEST(live_events, lock_taken_on_instance_a_reaches_a_client_on_instance_b_within_a_second) {
  instance a("ws_two", 30, shared_redis().url());
  service b(instance::env(a.db, shared_redis().url(), 30));
  const auto owner = register_owner(a.port(), "ws_two");
  const auto staff = add_user(a.port(), owner, "staff", "ws_two_staff");
  const auto stranger = register_owner(a.port(), "ws_two_stranger");
  ws_client watcher(b.port(), ws_path(owner));
  ASSERT_EQ(watcher.status(), 101);
  ws_client outsider(b.port(), ws_path(stranger));
  ASSERT_EQ(outsider.status(), 101);
  // Subscriptions are live once a ping round-trips on each.
  watcher.send_text(R"({"type":"ping"})");
  ASSERT_TRUE(next_event(watcher, "pong", 2s));
  const auto order = create_order(a.db, owner);

  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(acquire(a.port(), staff, order, "tab-1").status, 201);
  const auto locked = next_event(watcher, "order.locked", 1s);
  ASSERT_TRUE(locked) << "no order.locked within 1 s";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(text_of(locked->at("orderId")), order);
  EXPECT_EQ(text_of(locked->at("userId")), staff.id);
  EXPECT_EQ(text_of(locked->at("sessionId")), "tab-1");
  EXPECT_TRUE(is_iso_ms(std::string(locked->at("at").as_string())));

  ASSERT_EQ(renew(a.port(), staff, order, "tab-1").status, 200);
  EXPECT_TRUE(next_event(watcher, "order.lock_renewed", 1s));
  ASSERT_EQ(release(a.port(), staff, order, "tab-1").status, 204);
  const auto unlocked = next_event(watcher, "order.unlocked", 1s);
  ASSERT_TRUE(unlocked);
  EXPECT_EQ(text_of(unlocked->at("reason")), "released");
  EXPECT_EQ(text_of(unlocked->at("userId")), staff.id);

  const auto leaked = outsider.read(500ms);
  EXPECT_FALSE(leaked && !leaked->closed) << "another bakery's client got: " << (leaked ? leaked->text : "");
}

TEST(live_events, expiry_is_announced_within_two_seconds_of_expires_at) {
  instance a("ws_expiry", 2, shared_redis().url());
  const auto owner = register_owner(a.port(), "ws_expiry");
  ws_client watcher(a.port(), ws_path(owner));
  ASSERT_EQ(watcher.status(), 101);
  const auto order = create_order(a.db, owner);
  const auto held = acquire(a.port(), owner, order, "tab-x");
  ASSERT_EQ(held.status, 201);
  const double expires = epoch_field(held, "expiresAt");
  const auto unlocked = next_event(watcher, "order.unlocked", 6s);
  ASSERT_TRUE(unlocked);
  EXPECT_EQ(text_of(unlocked->at("reason")), "expired");
  EXPECT_LT(now_epoch() - expires, 2.0);
}

long long commands_processed(std::uint16_t redis_port) {
  const auto info = redis_command(redis_port, {"INFO", "stats"}).text;
  const auto at = info.find("total_commands_processed:");
  return at == std::string::npos ? -1 : std::stoll(info.substr(at + 25));
}

TEST(live_events, normal_lock_traffic_leaves_no_repair_work_behind) {
  // A repair runs only after a failed Redis write; a healthy cycle must not
  // start one (each would keep polling PostgreSQL and Redis).
  redis_server redis;
  instance a("ws_no_repair", 30, redis.url());
  const auto owner = register_owner(a.port(), "ws_no_repair");
  const auto order = create_order(a.db, owner);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(acquire(a.port(), owner, order, "tab-r").status, 201);
    ASSERT_EQ(renew(a.port(), owner, order, "tab-r").status, 200);
    ASSERT_EQ(release(a.port(), owner, order, "tab-r").status, 204);
  }
  std::this_thread::sleep_for(300ms);
  const auto before = commands_processed(redis.port());
  std::this_thread::sleep_for(2s);
  const auto idle = commands_processed(redis.port()) - before;
  // Idle traffic is a keep-alive PING per connection and second, plus the INFO itself.
  EXPECT_LT(idle, 16) << "Redis commands in 2 idle seconds";
}

TEST(live_events, logout_closes_the_connection_with_4001) {
  instance a("ws_logout", 30, shared_redis().url());
  const auto owner = register_owner(a.port(), "ws_logout");
  ws_client ws(a.port(), ws_path(owner));
  ASSERT_EQ(ws.status(), 101);
  ws.send_text(R"({"type":"ping"})");
  ASSERT_TRUE(next_event(ws, "pong", 2s));
  ASSERT_EQ(authed(a.port(), "POST", "/api/v1/auth/logout", owner.access, "").status, 204);
  const auto f = ws.read(3s);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->closed);
  EXPECT_EQ(f->close_code, 4001);
}

TEST(live_events, expiring_token_closes_the_connection_with_4001) {
  instance a("ws_exp_token", 30, shared_redis().url(), {{"JWT_ACCESS_TTL", "2"}});
  const auto owner = register_owner(a.port(), "ws_exp_token");
  ws_client ws(a.port(), ws_path(owner));
  ASSERT_EQ(ws.status(), 101);
  const auto f = ws.read(5s);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->closed);
  EXPECT_EQ(f->close_code, 4001);
}

}  // namespace
}  // namespace bakewind::test::locks_e2e
