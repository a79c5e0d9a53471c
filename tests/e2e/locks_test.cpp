// Black-box tests of issue 5, order locks, part 1: every row of API.md's
// "Order locks" table against the real binary, Redis and PostgreSQL.

#include "locks_helpers.hpp"

#include <gtest/gtest.h>

namespace bakewind::test::locks_e2e {
namespace {

constexpr int k_ttl = 60;  // ORDER_LOCK_TTL of this file's service

/// One service (shared Redis), a bakery with an owner, an admin and two
/// staff, and another bakery's owner. Made once for this file's tests; each
/// test makes its own orders.
struct world {
  instance s{"locks_api", k_ttl, shared_redis().url()};
  account owner = register_owner(s.port(), "lowner");
  account admin = add_user(s.port(), owner, "admin", "ladmin");
  account staff = add_user(s.port(), owner, "staff", "lstaff");
  account staff2 = add_user(s.port(), owner, "staff", "lstaff2");
  account stranger = register_owner(s.port(), "lstranger");
  std::uint16_t port() const { return s.port(); }
  std::string order() const { return create_order(s.db, owner); }
};

world& w() {
  static world the;
  return the;
}

std::uint16_t redis_port() {
  return shared_redis().port();
}

const std::string k_missing = "00000000-0000-4000-8000-000000000000";

// ------------------------------------------------------------------ acquire

TEST(locks_acquire, a_free_order_gives_201_and_a_lock_info) {
  const auto order = w().order();
  const auto t0 = now_epoch();
  const auto r = acquire(w().port(), w().staff, order, "tab-1");
  const auto t1 = now_epoch();
  ASSERT_TRUE(is_lock_reply(r, 201, order, w().staff, "tab-1"));
  const auto acquired = epoch_field(r, "acquiredAt");
  EXPECT_GE(acquired, t0 - 0.01) << r.body;
  EXPECT_LE(acquired, t1 + 0.01) << r.body;
  EXPECT_NEAR(epoch_field(r, "expiresAt") - acquired, k_ttl, 0.002)
      << "expiresAt = acquiredAt + ORDER_LOCK_TTL: " << r.body;
  EXPECT_EQ(field(r, "lastActivityAt"), field(r, "acquiredAt")) << r.body;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);

  // Both stores hold it: the row decides, the Redis entry answers fast.
  const auto row = pg_lock(w().s.db, order);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->first, w().staff.id);
  EXPECT_EQ(row->second, "tab-1");
  const auto entry = redis_lock(redis_port(), order);
  ASSERT_TRUE(entry.has_value()) << "order_lock:" << order << " missing in Redis";
  EXPECT_EQ(entry->at("userId").as_string(), w().staff.id);
  EXPECT_EQ(entry->at("sessionId").as_string(), "tab-1");
  EXPECT_EQ(redis_lock_key(redis_port(), order), "order_lock:{" + w().staff.bakery_id + "}:" + order)
      << "tagged by bakery (README \"Redis keys\")";
  const auto pttl = redis_command(redis_port(), {"PTTL", redis_lock_key(redis_port(), order)}).integer;
  EXPECT_GT(pttl, (k_ttl - 5) * 1000);
  EXPECT_LE(pttl, k_ttl * 1000);

  // GET shows the same lock.
  const auto st = lock_status(w().port(), w().owner, order);
  ASSERT_EQ(st.status, 200) << st.body;
  auto body = json_of(st);
  EXPECT_EQ(body.at("locked"), boost::json::value(true)) << st.body;
  EXPECT_TRUE(is_lock_info(body, order, w().staff, "tab-1", {"locked"}));
  body.erase("locked");
  EXPECT_EQ(body, json_of(r)) << "GET .../lock shows the lockInfo of the 201";
}

TEST(locks_acquire, the_same_user_and_session_again_gives_200_with_a_later_expiry) {
  const auto order = w().order();
  const auto first = acquire(w().port(), w().staff, order, "tab-1");
  ASSERT_TRUE(is_lock_reply(first, 201, order, w().staff, "tab-1"));
  std::this_thread::sleep_for(60ms);
  const auto t0 = now_epoch();
  const auto again = acquire(w().port(), w().staff, order, "tab-1");
  const auto t1 = now_epoch();
  ASSERT_TRUE(is_lock_reply(again, 200, order, w().staff, "tab-1"));
  EXPECT_EQ(field(again, "acquiredAt"), field(first, "acquiredAt")) << "acquiredAt unchanged: " << again.body;
  EXPECT_GT(epoch_field(again, "expiresAt"), epoch_field(first, "expiresAt")) << "TTL starts again: " << again.body;
  EXPECT_GE(epoch_field(again, "expiresAt"), t0 + k_ttl - 0.01) << again.body;
  EXPECT_LE(epoch_field(again, "expiresAt"), t1 + k_ttl + 0.01) << again.body;
  // Still one lock, the same holder.
  const auto st = lock_status(w().port(), w().staff, order);
  EXPECT_EQ(field(st, "acquiredAt"), field(first, "acquiredAt")) << st.body;
  EXPECT_EQ(field(st, "expiresAt"), field(again, "expiresAt")) << st.body;
  EXPECT_EQ(sql_value(w().s.db, "SELECT count(*) FROM order_locks WHERE order_id = '" + order + "'"), "1");
}

TEST(locks_acquire, another_user_gets_409_with_the_holder) {
  const auto order = w().order();
  const auto held = acquire(w().port(), w().staff, order, "tab-1");
  ASSERT_TRUE(is_lock_reply(held, 201, order, w().staff, "tab-1"));
  for (const auto* other : {&w().staff2, &w().owner, &w().admin}) {
    // Even with the holder's own session id.
    for (const char* session : {"tab-2", "tab-1"}) {
      const auto r = acquire(w().port(), *other, order, session);
      EXPECT_TRUE(is_locked_by(r, order, w().staff, "tab-1")) << other->role << " " << session;
      if (r.status == 409) {
        EXPECT_EQ(json_of(r).at("lock").as_object(), json_of(held)) << "the holder's lockInfo";
      }
    }
  }
  // The holder's lock is untouched.
  const auto st = lock_status(w().port(), w().staff, order);
  EXPECT_EQ(field(st, "userId"), w().staff.id);
  EXPECT_EQ(field(st, "expiresAt"), field(held, "expiresAt")) << "a refused acquire does not extend the lock";
}

TEST(locks_acquire, the_same_user_with_another_session_gets_409) {
  const auto order = w().order();
  const auto held = acquire(w().port(), w().staff, order, "tab-1");
  ASSERT_TRUE(is_lock_reply(held, 201, order, w().staff, "tab-1"));
  const auto r = acquire(w().port(), w().staff, order, "tab-2");
  EXPECT_TRUE(is_locked_by(r, order, w().staff, "tab-1"));
  const auto row = pg_lock(w().s.db, order);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->second, "tab-1");
}

TEST(locks_acquire, missing_foreign_and_malformed_orders_are_404_order_not_found) {
  const auto foreign = create_order(w().s.db, w().stranger);
  for (const auto& id : {k_missing, foreign, std::string("not-a-uuid"), std::string("123"),
                         std::string("00000000-0000-4000-8000-00000000000g")}) {
    EXPECT_TRUE(is_error(acquire(w().port(), w().staff, id, "tab-1"), 404, "Not Found", "Order not found")) << id;
  }
  // Another bakery's order that is locked there: still 404, never 409 with its holder.
  ASSERT_TRUE(is_lock_reply(acquire(w().port(), w().stranger, foreign, "x"), 201, foreign, w().stranger, "x"));
  EXPECT_TRUE(is_error(acquire(w().port(), w().owner, foreign, "x"), 404, "Not Found", "Order not found"));
  EXPECT_TRUE(is_error(acquire(w().port(), w().owner, foreign, "y"), 404, "Not Found", "Order not found"));
  const auto row = pg_lock(w().s.db, foreign);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->first, w().stranger.id) << "the stranger's lock is untouched";
  const auto entry = redis_lock(redis_port(), foreign);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->at("userId").as_string(), w().stranger.id);
  EXPECT_FALSE(redis_lock(redis_port(), k_missing).has_value()) << "no Redis entry left for a missing order";
}

TEST(locks_acquire, an_invalid_session_id_is_400_and_takes_no_lock) {
  const auto order = w().order();
  const std::vector<std::string> bodies{
      "{}",
      R"({"sessionId":""})",
      R"({"sessionId":")" + std::string(129, 'a') + R"("})",
      R"({"sessionId":"a b"})",
      R"({"sessionId":"a.b"})",
      R"({"sessionId":"a/b"})",
      R"({"sessionId":"tab\u00e9"})",
      R"({"sessionId":42})",
      R"({"sessionId":null})",
      R"({"sessionId":["tab"]})",
      R"({"sessionId":true})",
      R"({"session":"tab"})",
      R"(["tab"])",
      R"("tab")",
      "{not json",
  };
  for (const auto& b : bodies) {
    const auto r = authed(w().port(), "POST", lock_path(order), w().staff.access, b);
    EXPECT_TRUE(is_bad_request(r)) << b;
  }
  // No body at all.
  EXPECT_TRUE(is_bad_request(authed(w().port(), "POST", lock_path(order), w().staff.access)));
  EXPECT_EQ(lock_status(w().port(), w().staff, order).body, R"({"locked":false})");
  EXPECT_FALSE(pg_lock(w().s.db, order).has_value());

  // The limits themselves are fine: 128 characters of the whole alphabet.
  std::string longest = "ABCXYZabcxyz0189_-";
  while (longest.size() < 128) longest += 'q';
  EXPECT_TRUE(is_lock_reply(acquire(w().port(), w().staff, order, longest), 201, order, w().staff, longest));
  const auto other = w().order();
  EXPECT_TRUE(is_lock_reply(acquire(w().port(), w().staff, other, "x"), 201, other, w().staff, "x"));
}

TEST(locks_auth, every_lock_route_is_401_without_a_valid_token) {
  const auto order = w().order();
  struct call {
    const char* method;
    std::string target;
    std::string body;
  };
  const std::vector<call> calls{{"POST", lock_path(order), session_body("t")},
                                {"PUT", lock_path(order), session_body("t")},
                                {"DELETE", lock_path(order) + "?sessionId=t", ""},
                                {"GET", lock_path(order), ""},
                                {"GET", "/api/v1/locks", ""},
                                {"POST", lock_path(k_missing), session_body("t")},
                                {"POST", lock_path("not-a-uuid"), "{}"}};
  for (const auto& c : calls) {
    const std::string h = c.body.empty() ? "" : "Content-Type: application/json\r\n";
    EXPECT_TRUE(is_unauthorized(http_call(w().port(), c.method, c.target, c.body, h)))
        << c.method << " " << c.target << " without a token";
    EXPECT_TRUE(is_unauthorized(http_call(w().port(), c.method, c.target, c.body, h + bearer("garbage.token.here"))))
        << c.method << " " << c.target << " with a bad token";
  }
  EXPECT_FALSE(pg_lock(w().s.db, order).has_value());
}

// -------------------------------------------------------------------- renew

TEST(locks_renew, the_holder_gets_200_with_expiry_now_plus_ttl) {
  const auto order = w().order();
  const auto held = acquire(w().port(), w().staff, order, "tab-1");
  ASSERT_TRUE(is_lock_reply(held, 201, order, w().staff, "tab-1"));
  std::this_thread::sleep_for(60ms);
  const auto t0 = now_epoch();
  const auto r = renew(w().port(), w().staff, order, "tab-1");
  const auto t1 = now_epoch();
  ASSERT_TRUE(is_lock_reply(r, 200, order, w().staff, "tab-1"));
  EXPECT_EQ(field(r, "acquiredAt"), field(held, "acquiredAt")) << r.body;
  EXPECT_GE(epoch_field(r, "expiresAt"), t0 + k_ttl - 0.01) << r.body;
  EXPECT_LE(epoch_field(r, "expiresAt"), t1 + k_ttl + 0.01) << r.body;
  EXPECT_GT(epoch_field(r, "expiresAt"), epoch_field(held, "expiresAt")) << r.body;
  EXPECT_GT(epoch_field(r, "lastActivityAt"), epoch_field(held, "lastActivityAt")) << r.body;
  // Both stores follow.
  const auto pg_expiry = sql_value(w().s.db,
                                   "SELECT to_char(expires_at AT TIME ZONE 'UTC', "
                                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM order_locks WHERE order_id = '" +
                                       order + "'");
  EXPECT_EQ(pg_expiry, field(r, "expiresAt"));
  const auto entry = redis_lock(redis_port(), order);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->at("expiresAt").as_string(), field(r, "expiresAt"));
  const auto st = lock_status(w().port(), w().owner, order);
  EXPECT_EQ(field(st, "expiresAt"), field(r, "expiresAt")) << st.body;
}

TEST(locks_renew, without_a_lock_it_is_404_lock_not_found) {
  const auto order = w().order();
  EXPECT_TRUE(is_error(renew(w().port(), w().staff, order, "tab-1"), 404, "Not Found", "Lock not found"));
  EXPECT_FALSE(pg_lock(w().s.db, order).has_value()) << "a renewal never creates a lock";
  EXPECT_FALSE(redis_lock(redis_port(), order).has_value()) << "a renewal never creates a lock";
  // After a release too.
  ASSERT_EQ(acquire(w().port(), w().staff, order, "tab-1").status, 201);
  ASSERT_EQ(release(w().port(), w().staff, order, "tab-1").status, 204);
  EXPECT_TRUE(is_error(renew(w().port(), w().staff, order, "tab-1"), 404, "Not Found", "Lock not found"));
  EXPECT_FALSE(pg_lock(w().s.db, order).has_value());
}

TEST(locks_renew, another_holder_gives_409_and_keeps_the_lock) {
  const auto order = w().order();
  const auto held = acquire(w().port(), w().staff, order, "tab-1");
  ASSERT_TRUE(is_lock_reply(held, 201, order, w().staff, "tab-1"));
  EXPECT_TRUE(is_locked_by(renew(w().port(), w().staff2, order, "tab-1"), order, w().staff, "tab-1"));
  EXPECT_TRUE(is_locked_by(renew(w().port(), w().owner, order, "tab-9"), order, w().staff, "tab-1"));
  EXPECT_TRUE(is_locked_by(renew(w().port(), w().staff, order, "tab-2"), order, w().staff, "tab-1"))
      << "the same user in another session";
  const auto st = lock_status(w().port(), w().staff, order);
  EXPECT_EQ(field(st, "expiresAt"), field(held, "expiresAt")) << "nobody else extended it: " << st.body;
  EXPECT_EQ(field(st, "sessionId"), "tab-1");
}

TEST(locks_renew, missing_orders_are_404_and_bad_sessions_400) {
  const auto foreign = create_order(w().s.db, w().stranger);
  for (const auto& id : {k_missing, foreign, std::string("nope")}) {
    EXPECT_TRUE(is_error(renew(w().port(), w().staff, id, "tab-1"), 404, "Not Found", "Order not found")) << id;
  }
  const auto order = w().order();
  ASSERT_EQ(acquire(w().port(), w().staff, order, "tab-1").status, 201);
  for (const std::string b : {"{}", R"({"sessionId":""})", R"({"sessionId":1})", R"({"sessionId":"a b"})"}) {
    EXPECT_TRUE(is_bad_request(authed(w().port(), "PUT", lock_path(order), w().staff.access, b))) << b;
  }
}

// ------------------------------------------------------------------ release

TEST(locks_release, the_holder_releases_with_204_and_both_stores_forget) {
  const auto order = w().order();
  ASSERT_EQ(acquire(w().port(), w().staff, order, "tab-1").status, 201);
  const auto r = release(w().port(), w().staff, order, "tab-1");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(r.body.empty()) << r.body;
  EXPECT_FALSE(pg_lock(w().s.db, order).has_value());
  EXPECT_FALSE(redis_lock(redis_port(), order).has_value());
  EXPECT_EQ(lock_status(w().port(), w().staff, order).body, R"({"locked":false})");
  // Twice: nothing left to release.
  EXPECT_TRUE(is_error(release(w().port(), w().staff, order, "tab-1"), 404, "Not Found", "Lock not found"));
  // Free again for anybody.
  EXPECT_TRUE(is_lock_reply(acquire(w().port(), w().staff2, order, "tab-7"), 201, order, w().staff2, "tab-7"));
}

TEST(locks_release, someone_elses_lock_is_404_and_stays) {
  const auto order = w().order();
  const auto held = acquire(w().port(), w().staff, order, "tab-1");
  ASSERT_EQ(held.status, 201);
  EXPECT_TRUE(is_error(release(w().port(), w().staff2, order, "tab-1"), 404, "Not Found", "Lock not found"));
  EXPECT_TRUE(is_error(release(w().port(), w().owner, order, "tab-1"), 404, "Not Found", "Lock not found"))
      << "an owner without force releases nothing of someone else";
  EXPECT_TRUE(is_error(release(w().port(), w().staff, order, "tab-2"), 404, "Not Found", "Lock not found"))
      << "the same user in another session";
  EXPECT_TRUE(is_error(release(w().port(), w().staff, w().order(), "tab-1"), 404, "Not Found", "Lock not found"))
      << "a free order";
  const auto row = pg_lock(w().s.db, order);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->first, w().staff.id);
  const auto entry = redis_lock(redis_port(), order);
  ASSERT_TRUE(entry.has_value()) << "the holder's Redis entry must survive";
  EXPECT_EQ(entry->at("userId").as_string(), w().staff.id);
  EXPECT_TRUE(is_locked_by(acquire(w().port(), w().staff2, order, "tab-3"), order, w().staff, "tab-1"));
}

TEST(locks_release, session_id_is_required_and_validated) {
  const auto order = w().order();
  ASSERT_EQ(acquire(w().port(), w().staff, order, "tab-1").status, 201);
  const std::vector<std::string> queries{"",
                                         "?sessionId=",
                                         "?sessionId=a%20b",
                                         "?sessionId=a.b",
                                         "?sessionId=" + std::string(129, 'z'),
                                         "?force=false",
                                         "?session=tab-1"};
  for (const auto& q : queries) {
    EXPECT_TRUE(is_bad_request(authed(w().port(), "DELETE", lock_path(order) + q, w().staff.access))) << q;
  }
  EXPECT_TRUE(pg_lock(w().s.db, order).has_value()) << "a 400 releases nothing";
  EXPECT_EQ(authed(w().port(), "DELETE", lock_path(order) + "?sessionId=tab-1", w().staff.access).status, 204);
}

TEST(locks_release, missing_and_foreign_orders_are_404_order_not_found) {
  const auto foreign = create_order(w().s.db, w().stranger);
  ASSERT_EQ(acquire(w().port(), w().stranger, foreign, "x").status, 201);
  for (const auto& id : {k_missing, foreign, std::string("nope")}) {
    EXPECT_TRUE(is_error(release(w().port(), w().owner, id, "x"), 404, "Not Found", "Order not found")) << id;
    EXPECT_TRUE(is_error(release(w().port(), w().owner, id, "x", true), 404, "Not Found", "Order not found")) << id;
  }
  EXPECT_TRUE(pg_lock(w().s.db, foreign).has_value()) << "another bakery's force release touches nothing";
  EXPECT_TRUE(redis_lock(redis_port(), foreign).has_value());
}

TEST(locks_release, force_by_owner_or_admin_releases_anyones_lock_staff_gets_403) {
  for (const auto* boss : {&w().owner, &w().admin}) {
    const auto order = w().order();
    ASSERT_EQ(acquire(w().port(), w().staff, order, "tab-1").status, 201);
    // Staff may not force, not even with the holder's session.
    for (const auto* s : {&w().staff2, &w().staff}) {
      const auto r = release(w().port(), *s, order, "tab-1", true);
      EXPECT_EQ(r.status, 403) << r.body;
      if (r.status == 403) {
        EXPECT_EQ(json_of(r).at("statusCode").as_int64(), 403) << r.body;
        EXPECT_EQ(json_of(r).at("error").as_string(), "Forbidden") << r.body;
      }
    }
    EXPECT_TRUE(pg_lock(w().s.db, order).has_value()) << "a 403 releases nothing";
    const auto r = release(w().port(), *boss, order, "boss-tab", true);
    EXPECT_EQ(r.status, 204) << boss->role << ": " << r.body;
    EXPECT_FALSE(pg_lock(w().s.db, order).has_value()) << boss->role;
    EXPECT_FALSE(redis_lock(redis_port(), order).has_value()) << boss->role;
    EXPECT_EQ(lock_status(w().port(), w().staff, order).body, R"({"locked":false})");
    // The former holder finds nothing to renew or release.
    EXPECT_TRUE(is_error(renew(w().port(), w().staff, order, "tab-1"), 404, "Not Found", "Lock not found"));
    EXPECT_TRUE(is_error(release(w().port(), w().staff, order, "tab-1"), 404, "Not Found", "Lock not found"));
    // Forcing a free order: nothing to release.
    EXPECT_TRUE(is_error(release(w().port(), *boss, order, "boss-tab", true), 404, "Not Found", "Lock not found"));
  }
}

// ------------------------------------------------------------------- status

TEST(locks_status, free_and_locked_orders_and_404s) {
  const auto order = w().order();
  const auto free = lock_status(w().port(), w().staff, order);
  EXPECT_EQ(free.status, 200);
  EXPECT_EQ(json_of(free), (boost::json::object{{"locked", false}})) << free.body;
  const auto held = acquire(w().port(), w().staff2, order, "tab-5");
  ASSERT_EQ(held.status, 201);
  for (const auto* viewer : {&w().staff, &w().staff2, &w().owner, &w().admin}) {
    const auto st = lock_status(w().port(), *viewer, order);
    ASSERT_EQ(st.status, 200) << st.body;
    EXPECT_EQ(json_of(st).at("locked"), boost::json::value(true)) << st.body;
    EXPECT_TRUE(is_lock_info(json_of(st), order, w().staff2, "tab-5", {"locked"}));
  }
  const auto foreign = create_order(w().s.db, w().stranger);
  for (const auto& id : {k_missing, foreign, std::string("nope")}) {
    EXPECT_TRUE(is_error(lock_status(w().port(), w().staff, id), 404, "Not Found", "Order not found")) << id;
  }
  // The stranger's view of our locked order: it does not exist.
  EXPECT_TRUE(is_error(lock_status(w().port(), w().stranger, order), 404, "Not Found", "Order not found"));
}

TEST(locks_list, lists_the_live_locks_of_the_callers_bakery_only) {
  // Bakeries of their own, so other tests' locks do not show.
  const auto a = register_owner(w().port(), "list_a");
  const auto a2 = add_user(w().port(), a, "staff", "list_a2");
  const auto b = register_owner(w().port(), "list_b");
  auto ids = [](const http_reply& r) {
    std::set<std::string> out;
    const auto r_body = json_of(r);
    for (const auto& l : r_body.at("items").as_array()) out.insert(std::string(l.at("orderId").as_string()));
    return out;
  };
  const auto empty = list_locks(w().port(), a);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(json_of(empty), (boost::json::object{{"items", boost::json::array{}}})) << empty.body;

  const auto o1 = create_order(w().s.db, a);
  const auto o2 = create_order(w().s.db, a);
  const auto o3 = create_order(w().s.db, a);  // stays free
  const auto ob = create_order(w().s.db, b);
  ASSERT_EQ(acquire(w().port(), a, o1, "s1").status, 201);
  ASSERT_EQ(acquire(w().port(), a2, o2, "s2").status, 201);
  ASSERT_EQ(acquire(w().port(), b, ob, "sb").status, 201);

  const auto la = list_locks(w().port(), a2);
  ASSERT_EQ(la.status, 200) << la.body;
  EXPECT_EQ(json_of(la).size(), 1u) << la.body;
  EXPECT_EQ(ids(la), (std::set<std::string>{o1, o2})) << la.body;
  const auto la_body = json_of(la);
  for (const auto& l : la_body.at("items").as_array()) {
    const auto& o = l.as_object();
    const bool first = o.at("orderId").as_string() == o1;
    EXPECT_TRUE(is_lock_info(o, first ? o1 : o2, first ? a : a2, first ? "s1" : "s2"));
  }
  const auto lb = list_locks(w().port(), b);
  EXPECT_EQ(ids(lb), (std::set<std::string>{ob})) << lb.body;
  (void)o3;

  ASSERT_EQ(release(w().port(), a, o1, "s1").status, 204);
  EXPECT_EQ(ids(list_locks(w().port(), a)), (std::set<std::string>{o2}));
}

}  // namespace
}  // namespace bakewind::test::locks_e2e
