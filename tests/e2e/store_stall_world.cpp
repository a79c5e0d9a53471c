// The world of store_stall_test.cpp: its kits, its probes (every route of
// API.md) and the checks after Redis came back.

#include "store_stall_helpers.hpp"

namespace bakewind::test::stall_e2e {

namespace {

std::string order_body(const std::string& customer) {
  return core::to_json(boost::json::object{
      {"customerName", customer},
      {"items", boost::json::array{boost::json::object{{"product", "Baguette"}, {"quantity", 2}, {"unitPriceCents", 250}}}}});
}

std::string order_path(const std::string& id) { return "/api/v1/orders/" + id; }

http_reply json_post(std::uint16_t port, const std::string& target, const boost::json::object& body) {
  return post(port, target, core::to_json(body));
}

http_reply ws_upgrade(std::uint16_t port, const std::string& token) {
  ws_client ws(port, "/api/v1/ws?access_token=" + token);
  http_reply r;
  r.status = ws.status();
  return r;
}

/// A hand-off session of `a`, created before the fault.
std::string handoff(std::uint16_t port, const account& a) {
  const auto r = transfer(port, a.access, a.refresh);
  if (r.status != 201) throw std::runtime_error("transfer: " + std::to_string(r.status) + " " + r.body);
  return std::string(json_of(r).at("sessionId").as_string());
}

void must(const http_reply& r, int status, const char* what) {
  if (r.status != status) throw std::runtime_error(std::string(what) + ": " + std::to_string(r.status) + " " + r.body);
}

}  // namespace

std::string world::new_order() const {
  const auto r = authed(a.port(), "POST", "/api/v1/orders", owner.access, order_body("Ada"));
  must(r, 201, "create order");
  return std::string(json_of(r).at("id").as_string());
}

wave_kit world::kit(const std::string& tag) {
  wave_kit k;
  k.tag = tag;
  k.leaver = login(a.port(), owner.email, owner.password);
  k.all_out = add_user(a.port(), owner, "staff", "stall_all_" + tag);
  k.refresh_token = login(a.port(), owner.email, owner.password).refresh;
  k.claim_session = handoff(a.port(), login(a.port(), owner.email, owner.password));
  k.order_to_patch = new_order();
  must(acquire(a.port(), owner, k.order_to_patch, "tab-p"), 201, "lock to patch");
  // Read on both: Redis holds a copy of it, which the PATCH must not leave readable.
  for (const auto port : {a.port(), b.port()}) must(authed(port, "GET", order_path(k.order_to_patch), owner.access), 200, "read");
  k.order_to_take = new_order();
  k.order_to_free = new_order();
  must(acquire(a.port(), owner, k.order_to_free, "tab-f"), 201, "lock to free");
  k.order_to_drop = new_order();
  return k;
}

void world::warm_up() {
  order_read = new_order();
  order_held = new_order();
  must(acquire(a.port(), owner, order_held, "tab-h"), 201, "lock to hold");
  for (const char* tag : {"1", "2", "s0", "s1", "s2"}) kits.emplace(tag, kit(tag));
  // Until both instances answer from Redis: its markers are set (refilled)
  // and the order read is in the cache.
  const bool warm = eventually(
      [&] {
        for (const auto port : {a.port(), b.port()}) {
          must(authed(port, "GET", order_path(order_read), owner.access), 200, "read");
          must(lock_status(port, owner, order_held), 200, "status");
        }
        return redis_command(redis.port(), {"EXISTS", "locks:ready:v2"}).integer == 1 &&
               redis_command(redis.port(), {"EXISTS", k_revocation_marker}).integer == 1 &&
               redis_command(redis.port(), {"EXISTS", "order_cache:" + order_read}).integer == 1;
      },
      10s);
  if (!warm) throw std::runtime_error("the instances did not come to answer from Redis");
}

std::vector<probe> world::probes_while_redis_is_away(std::uint16_t port, const std::string& tag) {
  wave_kit& k = kits.at(tag);
  k.used = true;
  const std::string token = owner.access;
  const std::string email = unique_email("stall_reg_" + tag);
  std::vector<probe> p;
  p.push_back({"GET /health/live", [=] { return http_call(port, "GET", "/health/live"); }, {200}});
  p.push_back({"GET /health/ready", [=] { return http_call(port, "GET", "/health/ready"); }, {200, 503}});
  p.push_back({"GET /health", [=] { return http_call(port, "GET", "/health"); }, {200, 503}});
  p.push_back({"GET /metrics", [=] { return http_call(port, "GET", "/metrics"); }, {200}});
  p.push_back({"GET openapi.json", [=] { return http_call(port, "GET", "/api/v1/openapi.json"); }, {200}});
  p.push_back({"GET /api/docs", [=] { return http_call(port, "GET", "/api/docs"); }, {200}});
  p.push_back({"POST register", [=] { return post(port, "/api/v1/auth/register", register_body(email, "pw-pw-pw-pw", "N", "B")); }, {201}});
  p.push_back({"POST login", [=, this] { return post(port, "/api/v1/auth/login", login_body(owner.email, owner.password)); }, {200}});
  p.push_back({"POST refresh", [=, &k] { return refresh(port, k.refresh_token); }, {200}});
  p.push_back({"GET me", [=] { return me(port, token); }, {200}});
  // A revocation Redis did not take in time is recorded, not yet refused everywhere: 503.
  p.push_back({"POST logout", [=, &k] { return authed(port, "POST", "/api/v1/auth/logout", k.leaver.access); }, {204, 503}});
  p.push_back({"POST logout-all", [=, &k] { return authed(port, "POST", "/api/v1/auth/logout-all", k.all_out.access); }, {204, 503}});
  p.push_back({"POST transfer", [=, this] { return transfer(port, token, owner.refresh); }, {201, 503}});
  p.push_back({"POST claim", [=, &k] { return json_post(port, "/api/v1/auth/transfer/claim", {{"sessionId", k.claim_session}}); }, {200, 503}});
  p.push_back({"POST users", [=] { return authed(port, "POST", "/api/v1/users", token, user_body(unique_email("stall_u" + tag), "pw-pw-pw-pw", "U", "staff")); }, {201}});
  p.push_back({"GET users", [=] { return authed(port, "GET", "/api/v1/users", token); }, {200}});
  p.push_back({"POST orders", [=] { return authed(port, "POST", "/api/v1/orders", token, order_body("New")); }, {201}});
  p.push_back({"GET orders", [=] { return authed(port, "GET", "/api/v1/orders?limit=20", token); }, {200}});
  p.push_back({"GET order", [=, this] { return authed(port, "GET", order_path(order_read), token); }, {200}});
  p.push_back({"PATCH order", [=, &k] {
    auto r = authed(port, "PATCH", order_path(k.order_to_patch), token,
                    core::to_json(boost::json::object{{"customerName", "wave " + k.tag}}), "X-Lock-Session: tab-p\r\n");
    k.patched = r.status == 200;
    return r;
  }, {200}});
  p.push_back({"DELETE order", [=, &k] {
    auto r = authed(port, "DELETE", order_path(k.order_to_drop), token);
    k.dropped = r.status == 204;
    return r;
  }, {204}});
  p.push_back({"POST lock", [=, this, &k] {
    auto r = acquire(port, staff, k.order_to_take, "tab-t");
    k.taken = r.status == 201;
    return r;
  }, {201}});
  p.push_back({"PUT lock", [=, this] { return renew(port, owner, order_held, "tab-h"); }, {200}});
  p.push_back({"GET lock", [=, this] { return lock_status(port, owner, order_held); }, {200}});
  p.push_back({"DELETE lock", [=, this, &k] { return release(port, owner, k.order_to_free, "tab-f"); }, {204}});
  p.push_back({"GET locks", [=, this] { return list_locks(port, owner); }, {200}});
  p.push_back({"GET ws", [=] { return ws_upgrade(port, token); }, {101}});
  return p;
}

std::vector<probe> world::probes_while_postgres_is_away(std::uint16_t port) {
  const std::string token = owner.access;
  wave_kit& k = kits.at("1");
  // Answered by Redis alone: 200. Anything that needs the record: 503.
  const std::set<int> either{200, 503};
  std::vector<probe> p;
  p.push_back({"GET /health/live", [=] { return http_call(port, "GET", "/health/live"); }, {200}});
  p.push_back({"GET /health/ready", [=] { return http_call(port, "GET", "/health/ready"); }, {503}});
  p.push_back({"GET /health", [=] { return http_call(port, "GET", "/health"); }, {200, 503}});
  p.push_back({"GET /metrics", [=] { return http_call(port, "GET", "/metrics"); }, {200}});
  p.push_back({"POST login", [=, this] { return post(port, "/api/v1/auth/login", login_body(owner.email, owner.password)); }, {503}});
  p.push_back({"POST refresh", [=, &k] { return refresh(port, k.refresh_token); }, {503}});
  p.push_back({"GET me", [=] { return me(port, token); }, either});
  p.push_back({"POST logout", [=, &k] { return authed(port, "POST", "/api/v1/auth/logout", k.leaver.access); }, {503}});
  p.push_back({"POST transfer", [=, this] { return transfer(port, token, owner.refresh); }, {201, 503}});
  p.push_back({"GET users", [=] { return authed(port, "GET", "/api/v1/users", token); }, {503}});
  p.push_back({"POST orders", [=] { return authed(port, "POST", "/api/v1/orders", token, order_body("New")); }, {503}});
  p.push_back({"GET orders", [=] { return authed(port, "GET", "/api/v1/orders?limit=20", token); }, {503}});
  p.push_back({"GET order", [=, this] { return authed(port, "GET", order_path(order_read), token); }, either});
  p.push_back({"PATCH order", [=, &k] {
    return authed(port, "PATCH", order_path(k.order_to_patch), token,
                  core::to_json(boost::json::object{{"customerName", "never"}}), "X-Lock-Session: tab-p\r\n");
  }, {503}});
  p.push_back({"POST lock", [=, this, &k] { return acquire(port, staff, k.order_to_take, "tab-t"); }, {409, 503}});
  p.push_back({"GET lock", [=, this] { return lock_status(port, owner, order_held); }, either});
  p.push_back({"GET locks", [=, this] { return list_locks(port, owner); }, either});
  return p;
}

void world::check_after_redis_came_back() {
  ASSERT_TRUE(eventually([&] { return redis_command(redis.port(), {"PING"}).text == "PONG"; }, 2s));
  // Asked at once and for 2 s more, on both instances.
  const auto until = std::chrono::steady_clock::now() + 2s;
  do {
    for (const auto port : {a.port(), b.port()}) {
      for (auto& [tag, k] : kits) {
        if (!k.used) continue;
        EXPECT_TRUE(is_revoked(me(port, k.leaver.access))) << "wave " << tag << ": a token logged out during the fault";
        EXPECT_TRUE(is_revoked(me(port, k.all_out.access))) << "wave " << tag << ": a token cut off during the fault";
        if (k.patched) {
          const auto r = authed(port, "GET", order_path(k.order_to_patch), owner.access);
          EXPECT_EQ(r.status, 200);
          EXPECT_NE(r.body.find("\"wave " + k.tag + "\""), std::string::npos) << "a stale order after its PATCH: " << r.body;
        }
        if (k.dropped) {
          EXPECT_EQ(authed(port, "GET", order_path(k.order_to_drop), owner.access).status, 404);
        }
        if (k.taken) {
          EXPECT_TRUE(is_locked_by(acquire(port, owner, k.order_to_take, "tab-o"), k.order_to_take, staff, "tab-t"))
              << "wave " << tag << ": the order taken during the fault, taken again";
        }
      }
    }
  } while (std::chrono::steady_clock::now() < until && !::testing::Test::HasFailure());
}

}  // namespace bakewind::test::stall_e2e
