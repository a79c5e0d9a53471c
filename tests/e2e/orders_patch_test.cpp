// Black-box tests of issue 5, orders part 2 (API.md "Orders"): PATCH fenced
// by the caller's live lock and session in one statement, version bumps and
// the order.updated event; DELETE with roles, its lock going too, and the
// order.unlocked (deleted) event; tenancy.

#include "orders_helpers.hpp"

#include <gtest/gtest.h>

namespace bakewind::test::orders_e2e {
namespace {

std::string version_in_db(const std::string& id) {
  return sql_value(shared_instance().db, "SELECT version FROM orders WHERE id = '" + id + "'");
}

// ------------------------------------------------------------------- PATCH

TEST(orders_patch, with_the_callers_lock_applies_every_field_and_bumps_the_version) {
  const auto owner = register_owner(port(), "patch");
  const auto created = make_order(owner);
  const auto id = id_of(created);
  const auto lock = lock_order(owner, id, "editor-1");
  const boost::json::object changes{
      {"customerName", "Grace Hopper"},
      {"items", boost::json::array{item("Sourdough", 4, 550)}},
      {"status", "in_production"},
      {"dueAt", "2027-01-02T03:04:05.678Z"},
      {"notes", "No sesame"},
      {"bakeryId", "00000000-0000-4000-8000-000000000000"},  // unknown to PATCH: ignored
      {"version", 99},
  };
  const auto r = patch_order(owner, id, changes, "editor-1");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = json_of(r);
  ASSERT_TRUE(is_order(o));
  EXPECT_EQ(o.at("id").as_string(), id);
  EXPECT_EQ(o.at("bakeryId").as_string(), owner.bakery_id);
  EXPECT_EQ(o.at("customerName").as_string(), "Grace Hopper");
  EXPECT_EQ(o.at("items"), changes.at("items"));
  EXPECT_EQ(o.at("totalCents").as_int64(), 2200);
  EXPECT_EQ(o.at("status").as_string(), "in_production");
  EXPECT_EQ(o.at("dueAt").as_string(), "2027-01-02T03:04:05.678Z");
  EXPECT_EQ(o.at("notes").as_string(), "No sesame");
  EXPECT_EQ(o.at("version").as_int64(), 2);
  EXPECT_EQ(o.at("createdBy"), created.at("createdBy"));
  EXPECT_EQ(o.at("createdAt"), created.at("createdAt"));
  EXPECT_GE(iso_to_epoch(std::string(o.at("updatedAt").as_string())),
            iso_to_epoch(std::string(created.at("updatedAt").as_string())));
  EXPECT_EQ(o.at("lock"), boost::json::value(lock)) << "the caller's own lock";
  EXPECT_EQ(json_of(get_order(owner, id)), o);
}

TEST(orders_patch, applies_only_the_fields_given_and_null_due_at_clears_it) {
  const auto owner = register_owner(port(), "patchpartial");
  auto body = order_body();
  body["dueAt"] = "2027-05-05T05:05:05.005Z";
  body["notes"] = "keep";
  const auto created = json_of(create_order(owner, body));
  const auto id = id_of(created);
  lock_order(owner, id, "s");

  auto r = patch_order(owner, id, {{"status", "confirmed"}}, "s");
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = json_of(r);
  EXPECT_EQ(o.at("status").as_string(), "confirmed");
  EXPECT_EQ(o.at("version").as_int64(), 2);
  for (const char* k : {"customerName", "items", "totalCents", "dueAt", "notes"}) EXPECT_EQ(o.at(k), created.at(k)) << k;

  // null is not a string, an array or a status: a 400 naming the field, and
  // nothing changes (no coercion to "", no field dropped).
  for (const char* k : {"notes", "customerName", "status", "items"}) {
    r = patch_order(owner, id, {{k, nullptr}, {"dueAt", nullptr}}, "s");
    EXPECT_TRUE(is_bad_request(r)) << k;
    EXPECT_NE(core::to_json(json_of(r).at("message")).find(k), std::string::npos) << r.body;
  }
  o = json_of(get_order(owner, id));
  EXPECT_EQ(o.at("notes").as_string(), "keep");
  EXPECT_EQ(o.at("version").as_int64(), 2);
  EXPECT_FALSE(o.at("dueAt").is_null());

  // dueAt is nullable: null clears it.
  r = patch_order(owner, id, {{"dueAt", nullptr}}, "s");
  ASSERT_EQ(r.status, 200) << r.body;
  o = json_of(r);
  EXPECT_TRUE(o.at("dueAt").is_null());
  EXPECT_EQ(o.at("notes").as_string(), "keep");
  EXPECT_EQ(o.at("customerName"), created.at("customerName"));
  EXPECT_EQ(o.at("version").as_int64(), 3);

  r = patch_order(owner, id, {{"notes", ""}}, "s");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r).at("notes").as_string(), "");
  EXPECT_EQ(json_of(r).at("version").as_int64(), 4);
  EXPECT_EQ(version_in_db(id), "4");
}

TEST(orders_patch, every_status_can_be_set) {
  const auto owner = register_owner(port(), "patchstatus");
  const auto id = id_of(make_order(owner));
  lock_order(owner, id, "s");
  long long version = 1;
  for (const char* s : {"confirmed", "in_production", "ready", "delivered", "cancelled", "pending"}) {
    const auto r = patch_order(owner, id, {{"status", s}}, "s");
    ASSERT_EQ(r.status, 200) << s << " " << r.body;
    EXPECT_EQ(json_of(r).at("status").as_string(), s);
    EXPECT_EQ(json_of(r).at("version").as_int64(), ++version);
  }
}

TEST(orders_patch, without_a_lock_it_is_409_lock_not_held_with_lock_null) {
  const auto owner = register_owner(port(), "patchnolock");
  const auto id = id_of(make_order(owner));
  EXPECT_TRUE(is_lock_not_held(patch_order(owner, id, {{"notes", "x"}}, "editor-1"), std::nullopt));
  EXPECT_TRUE(is_lock_not_held(patch_order(owner, id, {{"notes", "x"}}, ""), std::nullopt)) << "no header";
  // A lock released is no lock.
  lock_order(owner, id, "editor-1");
  ASSERT_EQ(release(owner, id, "editor-1").status, 204);
  EXPECT_TRUE(is_lock_not_held(patch_order(owner, id, {{"notes", "x"}}, "editor-1"), std::nullopt));
  EXPECT_EQ(version_in_db(id), "1");
}

TEST(orders_patch, another_user_or_another_session_gets_409_with_the_holder) {
  const auto owner = register_owner(port(), "patchother");
  const auto staff = add_user(owner, "staff", "patchotherstaff");
  const auto id = id_of(make_order(owner));
  const auto lock = lock_order(staff, id, "staff-tab");
  EXPECT_TRUE(is_lock_not_held(patch_order(owner, id, {{"notes", "x"}}, "staff-tab"), lock))
      << "the holder's session id is not enough: the user must match too";
  EXPECT_TRUE(is_lock_not_held(patch_order(owner, id, {{"notes", "x"}}, "owner-tab"), lock));
  EXPECT_TRUE(is_lock_not_held(patch_order(owner, id, {{"notes", "x"}}, ""), lock));
  EXPECT_TRUE(is_lock_not_held(patch_order(staff, id, {{"notes", "x"}}, "other-tab"), lock)) << "same user, other session";
  EXPECT_TRUE(is_lock_not_held(patch_order(staff, id, {{"notes", "x"}}, ""), lock)) << "holder without the header";
  EXPECT_TRUE(is_lock_not_held(patch_order(staff, id, {{"notes", "x"}}, "bad session!"), lock)) << "invalid header";
  EXPECT_TRUE(is_lock_not_held(patch_order(staff, id, {{"notes", "x"}}, std::string(129, 's')), lock));
  EXPECT_EQ(version_in_db(id), "1");
  // The holder itself may.
  const auto ok = patch_order(staff, id, {{"notes", "by staff"}}, "staff-tab");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json_of(ok).at("version").as_int64(), 2);
}

TEST(orders_patch, missing_foreign_and_malformed_orders_are_404_even_without_a_session) {
  const auto owner = register_owner(port(), "patch404");
  const auto other = register_owner(port(), "patch404other");
  const auto id = id_of(make_order(owner));
  lock_order(owner, id, "s");
  for (const std::string session : {"s", ""}) {
    EXPECT_TRUE(is_order_not_found(patch_order(other, id, {{"notes", "x"}}, session))) << "foreign, '" << session << "'";
    EXPECT_TRUE(is_order_not_found(
        patch_order(owner, "00000000-0000-4000-8000-000000000000", {{"notes", "x"}}, session)));
    EXPECT_TRUE(is_order_not_found(patch_order(owner, "not-a-uuid", {{"notes", "x"}}, session)));
  }
  EXPECT_EQ(json_of(get_order(owner, id)).at("notes").as_string(), "");
}

TEST(orders_patch, invalid_bodies_are_400_and_change_nothing_even_for_the_holder) {
  const auto owner = register_owner(port(), "patch400");
  const auto id = id_of(make_order(owner));
  lock_order(owner, id, "s");
  const std::vector<std::pair<std::string, boost::json::object>> cases = {
      {"customerName empty", {{"customerName", ""}}},
      {"customerName too long", {{"customerName", std::string(201, 'c')}}},
      {"customerName number", {{"customerName", 1}}},
      {"items empty", {{"items", boost::json::array{}}}},
      {"items string", {{"items", "x"}}},
      {"quantity string", {{"items", boost::json::array{{{"product", "x"}, {"quantity", "2"}, {"unitPriceCents", 1}}}}}},
      {"quantity 2.5", {{"items", boost::json::array{{{"product", "x"}, {"quantity", 2.5}, {"unitPriceCents", 1}}}}}},
      {"price over", {{"items", boost::json::array{{{"product", "x"}, {"quantity", 1}, {"unitPriceCents", 100000001}}}}}},
      {"status unknown", {{"status", "done"}}},
      {"status upper", {{"status", "READY"}}},
      {"status number", {{"status", 1}}},
      {"dueAt garbage", {{"dueAt", "soon"}}},
      {"dueAt number", {{"dueAt", 5}}},
      {"notes too long", {{"notes", std::string(2001, 'n')}}},
      {"one bad among good", {{"notes", "fine"}, {"status", "bogus"}}},
  };
  for (const auto& [what, body] : cases) {
    EXPECT_TRUE(is_bad_request(patch_order(owner, id, body, "s"))) << what;
    EXPECT_TRUE(is_bad_request(patch_order(owner, id, body, ""))) << what << ": 400 comes before the lock check";
  }
  EXPECT_TRUE(is_bad_request(authed(port(), "PATCH", order_path(id), owner.access, "[1,2]", "X-Lock-Session: s\r\n")));
  EXPECT_TRUE(is_bad_request(authed(port(), "PATCH", order_path(id), owner.access, "{\"notes\":", "X-Lock-Session: s\r\n")));
  EXPECT_EQ(version_in_db(id), "1");
  EXPECT_EQ(json_of(get_order(owner, id)).at("notes").as_string(), "");
}

TEST(orders_patch, announces_order_updated_with_the_new_version) {
  const auto owner = register_owner(port(), "patchevent");
  const auto id = id_of(make_order(owner));
  const auto lock = lock_order(owner, id, "s");
  event_watch events(shared_redis().port());
  ASSERT_EQ(patch_order(owner, id, {{"notes", "v2"}}, "s").status, 200);
  EXPECT_TRUE(events.wait_for({owner.bakery_id + " ", R"("type":"order.updated")", R"("orderId":")" + id + "\"",
                               R"("version":2)", R"("userId":")" + owner.id + "\"", R"("at":")"},
                              3s));
  // A refused PATCH announces nothing.
  EXPECT_TRUE(is_lock_not_held(patch_order(owner, id, {{"notes", "v3"}}, "other"), lock));
  EXPECT_FALSE(events.wait_for({R"("type":"order.updated")", R"("version":3)"}, 300ms));
}

// The fence is the statement itself: a lock row past its expiry that the
// sweeper has not deleted yet (it runs twice a second) lets nobody write.
TEST(orders_patch, a_lock_row_past_its_expiry_fences_even_before_the_sweeper_runs) {
  const auto owner = register_owner(port(), "patchfence");
  const auto id = id_of(make_order(owner));
  for (int i = 0; i < 10; ++i) {
    const auto got = acquire(owner, id, "s");
    ASSERT_TRUE(got.status == 201 || got.status == 200) << got.body;
    sql_value(shared_instance().db,
              "UPDATE order_locks SET expires_at = now() - interval '1 millisecond' WHERE order_id = '" + id +
                  "' RETURNING 1");
    const auto r = patch_order(owner, id, {{"notes", "late"}}, "s");
    EXPECT_TRUE(is_error(r, 409, "Conflict", "Order lock not held")) << "round " << i;
  }
  EXPECT_EQ(version_in_db(id), "1");
}

// A lock that expired, and one taken over after it, both fence the old holder out.
TEST(orders_patch, a_holder_whose_lock_expired_cannot_patch) {
  instance s("orders_ttl", 1);
  const auto owner = register_owner(s.port(), "patchttl");
  const auto r = post(s.port(), "/api/v1/users",
                      core::to_json(boost::json::object{{"email", unique_email("ttlstaff")},
                                                        {"password", "pass-of-ttlstaff"},
                                                        {"name", "Staff"},
                                                        {"role", "staff"}}),
                      bearer(owner.access));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto staff = login(s.port(), std::string(json_of(r).at("email").as_string()), "pass-of-ttlstaff");
  const auto c = authed(s.port(), "POST", "/api/v1/orders", owner.access, core::to_json(order_body()));
  ASSERT_EQ(c.status, 201) << c.body;
  const auto id = id_of(json_of(c));
  auto patch_on = [&](const account& a, const std::string& session, const std::string& notes) {
    return authed(s.port(), "PATCH", order_path(id), a.access, core::to_json(boost::json::object{{"notes", notes}}),
                  "X-Lock-Session: " + session + "\r\n");
  };

  lock_order(owner, id, "old", s.port());
  ASSERT_EQ(patch_on(owner, "old", "while held").status, 200);
  std::this_thread::sleep_for(2500ms);
  EXPECT_TRUE(is_lock_not_held(patch_on(owner, "old", "after expiry"), std::nullopt));

  // Someone else takes it now; the old holder is still fenced out, with the new holder shown.
  const auto taken = lock_order(staff, id, "new", s.port());
  EXPECT_TRUE(is_lock_not_held(patch_on(owner, "old", "late write"), taken));
  const auto ok = patch_on(staff, "new", "by the new holder");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json_of(ok).at("version").as_int64(), 3);
  EXPECT_EQ(sql_value(s.db, "SELECT notes FROM orders WHERE id = '" + id + "'"), "by the new holder");
}

// ------------------------------------------------------------------ DELETE

TEST(orders_delete, staff_gets_403_before_404) {
  const auto owner = register_owner(port(), "delstaff");
  const auto staff = add_user(owner, "staff", "delstaffstaff");
  const auto id = id_of(make_order(owner));
  EXPECT_TRUE(is_error(delete_order(staff, id), 403, "Forbidden", "Forbidden"));
  EXPECT_TRUE(is_error(delete_order(staff, "00000000-0000-4000-8000-000000000000"), 403, "Forbidden", "Forbidden"));
  EXPECT_TRUE(is_error(delete_order(staff, "not-a-uuid"), 403, "Forbidden", "Forbidden"));
  EXPECT_EQ(get_order(owner, id).status, 200);
}

TEST(orders_delete, owner_and_admin_delete_with_204_then_404) {
  const auto owner = register_owner(port(), "delowner");
  const auto admin = add_user(owner, "admin", "deladmin");
  for (const auto* who : {&owner, &admin}) {
    const auto id = id_of(make_order(owner));
    const auto r = delete_order(*who, id);
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(is_order_not_found(get_order(owner, id)));
    EXPECT_TRUE(is_order_not_found(delete_order(*who, id)));
    EXPECT_TRUE(is_order_not_found(patch_order(owner, id, {{"notes", "x"}}, "s")));
  }
  EXPECT_TRUE(is_order_not_found(delete_order(owner, "not-a-uuid")));
  EXPECT_TRUE(is_order_not_found(delete_order(owner, "00000000-0000-4000-8000-000000000000")));
}

TEST(orders_delete, another_bakerys_order_is_404_and_stays) {
  const auto owner = register_owner(port(), "delforeign");
  const auto other = register_owner(port(), "delforeignother");
  const auto id = id_of(make_order(owner));
  EXPECT_TRUE(is_order_not_found(delete_order(other, id)));
  EXPECT_EQ(get_order(owner, id).status, 200);
}

TEST(orders_delete, its_lock_goes_too_and_order_unlocked_deleted_is_announced) {
  const auto owner = register_owner(port(), "dellock");
  const auto staff = add_user(owner, "staff", "dellockstaff");
  const auto id = id_of(make_order(owner));
  lock_order(staff, id, "tab");
  event_watch events(shared_redis().port());
  ASSERT_EQ(delete_order(owner, id).status, 204);
  EXPECT_TRUE(events.wait_for({owner.bakery_id + " ", R"("type":"order.unlocked")", R"("orderId":")" + id + "\"",
                               R"("userId":")" + staff.id + "\"", R"("reason":"deleted")"},
                              3s));
  EXPECT_TRUE(is_order_not_found(authed(port(), "GET", order_path(id) + "/lock", owner.access)));
  EXPECT_TRUE(is_order_not_found(acquire(staff, id, "tab")));
  const auto locks = authed(port(), "GET", "/api/v1/locks", owner.access);
  ASSERT_EQ(locks.status, 200) << locks.body;
  EXPECT_TRUE(json_of(locks).at("items").as_array().empty()) << locks.body;
  EXPECT_EQ(redis_command(shared_redis().port(), {"KEYS", "order_lock:*:" + id}).items.size(), 0U);
  EXPECT_EQ(sql_value(shared_instance().db, "SELECT count(*) FROM order_locks WHERE order_id = '" + id + "'"), "0");
}

}  // namespace
}  // namespace bakewind::test::orders_e2e
