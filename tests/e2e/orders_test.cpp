// Black-box tests of issue 5, orders part 1 (API.md "Orders"): create with
// validation, get, list with keyset pagination and status filter, tenancy and
// authentication. One shared service; each test works in new bakeries.

#include "orders_helpers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace bakewind::test::orders_e2e {
namespace {

// ------------------------------------------------------------------- create

TEST(orders_create, returns_201_with_a_pending_order_and_the_total_computed_by_the_server) {
  const auto owner = register_owner(port(), "create");
  auto body = order_body("Ada Lovelace");
  body["totalCents"] = 1;      // unknown to the server's input: ignored
  body["status"] = "ready";    // not a POST field: ignored
  body["version"] = 7;
  body["somethingElse"] = true;
  const auto r = create_order(owner, body);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto o = json_of(r);
  ASSERT_TRUE(is_order(o));
  EXPECT_EQ(o.at("bakeryId").as_string(), owner.bakery_id);
  EXPECT_EQ(o.at("createdBy").as_string(), owner.id);
  EXPECT_EQ(o.at("customerName").as_string(), "Ada Lovelace");
  EXPECT_EQ(o.at("items"), body.at("items"));
  EXPECT_EQ(o.at("totalCents").as_int64(), 860);
  EXPECT_EQ(o.at("status").as_string(), "pending");
  EXPECT_EQ(o.at("version").as_int64(), 1);
  EXPECT_TRUE(o.at("dueAt").is_null());
  EXPECT_EQ(o.at("notes").as_string(), "");
  EXPECT_TRUE(o.at("lock").is_null());
  EXPECT_EQ(o.at("createdAt"), o.at("updatedAt"));
  EXPECT_NEAR(iso_to_epoch(std::string(o.at("createdAt").as_string())), now_epoch(), 5.0);
  // What GET shows is what POST answered.
  const auto g = get_order(owner, id_of(o));
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(json_of(g), o);
}

TEST(orders_create, keeps_due_at_in_utc_with_milliseconds_and_notes) {
  const auto owner = register_owner(port(), "createdue");
  auto body = order_body();
  body["dueAt"] = "2026-11-25T18:03:08.123+01:00";
  body["notes"] = "Ring twice";
  const auto r = create_order(owner, body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json_of(r).at("dueAt").as_string(), "2026-11-25T17:03:08.123Z");
  EXPECT_EQ(json_of(r).at("notes").as_string(), "Ring twice");

  body["dueAt"] = "2026-11-25T17:03:08Z";
  EXPECT_EQ(json_of(create_order(owner, body)).at("dueAt").as_string(), "2026-11-25T17:03:08.000Z");
  // The ends of the range API.md accepts, past where a nanosecond clock ends (2262).
  for (const char* due : {"9999-12-31T23:59:59.999Z", "3000-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z"}) {
    body["dueAt"] = due;
    const auto far = create_order(owner, body);
    ASSERT_EQ(far.status, 201) << far.body;
    EXPECT_EQ(json_of(far).at("dueAt").as_string(), due);
    EXPECT_EQ(json_of(get_order(owner, id_of(json_of(far)))).at("dueAt").as_string(), due);
  }
  body["dueAt"] = nullptr;
  body.erase("notes");
  const auto n = create_order(owner, body);
  ASSERT_EQ(n.status, 201) << n.body;
  EXPECT_TRUE(json_of(n).at("dueAt").is_null());
  EXPECT_EQ(json_of(n).at("notes").as_string(), "");

  // notes is a string when given: null is refused, not stored as "".
  body["notes"] = nullptr;
  const auto null_notes = create_order(owner, body);
  EXPECT_TRUE(is_bad_request(null_notes));
  EXPECT_NE(null_notes.body.find("notes must be a string"), std::string::npos) << null_notes.body;
}

TEST(orders_create, accepts_every_limit_exactly) {
  const auto owner = register_owner(port(), "createlim");
  boost::json::array many;
  for (int i = 0; i < 100; ++i) many.push_back(item(std::string(200, 'p'), 10000, 100000000));
  std::string name;
  for (int i = 0; i < 200; ++i) name += "\xC3\xA9";  // 200 code points, 400 bytes
  boost::json::object body{{"customerName", name}, {"items", many}, {"notes", std::string(2000, 'n')}};
  const auto r = create_order(owner, body);
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 300);
  const auto o = json_of(r);
  EXPECT_TRUE(is_order(o));
  EXPECT_EQ(o.at("totalCents").as_int64(), 100LL * 10000 * 100000000);
  EXPECT_EQ(o.at("customerName").as_string(), name);
  EXPECT_EQ(o.at("items").as_array().size(), 100u);

  const boost::json::object cheap{{"customerName", "A"}, {"items", boost::json::array{item("x", 1, 0)}}};
  const auto c = create_order(owner, cheap);
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(json_of(c).at("totalCents").as_int64(), 0);
}

TEST(orders_create, invalid_bodies_are_400_and_create_nothing) {
  const auto owner = register_owner(port(), "create400");
  auto with = [](const char* key, boost::json::value v) {
    auto b = order_body();
    b[key] = std::move(v);
    return core::to_json(b);
  };
  auto without = [](const char* key) {
    auto b = order_body();
    b.erase(key);
    return core::to_json(b);
  };
  auto with_item = [](const char* key, boost::json::value v) {
    auto b = order_body();
    b["items"].as_array()[1].as_object()[key] = std::move(v);
    return core::to_json(b);
  };
  boost::json::array too_many;
  for (int i = 0; i < 101; ++i) too_many.push_back(item("x", 1, 1));
  std::string name201;
  for (int i = 0; i < 201; ++i) name201 += "\xC3\xA9";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"no customerName", without("customerName")},
      {"customerName empty", with("customerName", "")},
      {"customerName 201 code points", with("customerName", boost::json::value(name201))},
      {"customerName a number", with("customerName", 42)},
      {"customerName null", with("customerName", nullptr)},
      {"no items", without("items")},
      {"items empty", with("items", boost::json::array{})},
      {"101 items", with("items", too_many)},
      {"items an object", with("items", item("x", 1, 1))},
      {"items a string", with("items", "Baguette")},
      {"item not an object", with("items", boost::json::array{1, 2})},
      {"item null", with("items", boost::json::array{nullptr})},
      {"product missing", core::to_json(boost::json::object{
                              {"customerName", "A"},
                              {"items", boost::json::array{boost::json::object{{"quantity", 1}, {"unitPriceCents", 1}}}}})},
      {"product empty", with_item("product", "")},
      {"product 201 chars", with_item("product", boost::json::value(std::string(201, 'p')))},
      {"product a number", with_item("product", 5)},
      {"quantity a string", with_item("quantity", "2")},
      {"quantity fractional", with_item("quantity", 2.5)},
      {"quantity 0", with_item("quantity", 0)},
      {"quantity 10001", with_item("quantity", 10001)},
      {"quantity negative", with_item("quantity", -1)},
      {"quantity boolean", with_item("quantity", true)},
      {"quantity null", with_item("quantity", nullptr)},
      {"quantity huge", with_item("quantity", 1e300)},
      {"unitPriceCents negative", with_item("unitPriceCents", -1)},
      {"unitPriceCents over 10^8", with_item("unitPriceCents", 100000001)},
      {"unitPriceCents a string", with_item("unitPriceCents", "100")},
      {"unitPriceCents fractional", with_item("unitPriceCents", 99.5)},
      {"dueAt not a date", with("dueAt", "tomorrow")},
      {"dueAt a number", with("dueAt", 1795626188123LL)},
      {"dueAt February 30th", with("dueAt", "2026-02-30T10:00:00Z")},
      {"dueAt date only", with("dueAt", "2026-11-25")},
      {"notes 2001 chars", with("notes", boost::json::value(std::string(2001, 'n')))},
      {"notes a number", with("notes", 3)},
      {"NUL in customerName", with("customerName", boost::json::value(std::string("a\0b", 3)))},
      {"NUL in product", with_item("product", boost::json::value(std::string("a\0b", 3)))},
      {"body an array", "[]"},
      {"body a string", "\"order\""},
      {"empty object", "{}"},
      {"malformed JSON", "{\"customerName\":"},
  };
  for (const auto& [what, body] : cases) {
    const auto r = authed(port(), "POST", "/api/v1/orders", owner.access, body);
    EXPECT_TRUE(is_bad_request(r)) << what;
  }
  const auto list = list_orders(owner);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(json_of(list).at("items").as_array().empty()) << list.body;
}

TEST(orders_create, names_each_invalid_field_in_the_messages) {
  const auto owner = register_owner(port(), "createmsg");
  const auto r = authed(port(), "POST", "/api/v1/orders", owner.access,
                        R"({"customerName":"","items":[{"product":"x","quantity":"2","unitPriceCents":1}]})");
  ASSERT_TRUE(is_bad_request(r));
  const auto messages = core::to_json(json_of(r).at("message"));
  EXPECT_NE(messages.find("customerName"), std::string::npos) << messages;
  EXPECT_NE(messages.find("items.0.quantity"), std::string::npos) << messages;
}

// ------------------------------------------------------------------ 401

TEST(orders_auth, every_order_route_is_401_without_a_valid_token_before_404_or_400) {
  const auto owner = register_owner(port(), "auth401");
  const auto id = id_of(make_order(owner));
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/api/v1/orders"},          {"GET", "/api/v1/orders"},
      {"GET", "/api/v1/orders?limit=0"},   {"GET", order_path(id)},
      {"GET", order_path("not-a-uuid")},   {"PATCH", order_path(id)},
      {"DELETE", order_path(id)},          {"DELETE", order_path("not-a-uuid")},
  };
  for (const auto& [method, target] : routes) {
    EXPECT_TRUE(is_unauthorized(http_call(port(), method, target, "{}", "Content-Type: application/json\r\n")))
        << method << " " << target << " without a token";
    EXPECT_TRUE(is_unauthorized(
        http_call(port(), method, target, "{}", "Content-Type: application/json\r\n" + bearer("not.a.jwt"))))
        << method << " " << target << " with garbage";
    EXPECT_TRUE(is_unauthorized(
        http_call(port(), method, target, "{}", "Content-Type: application/json\r\n" + bearer(owner.refresh))))
        << method << " " << target << " with a refresh token";
  }
  EXPECT_EQ(get_order(owner, id).status, 200) << "nothing was deleted";
}

// ------------------------------------------------------------------ get

TEST(orders_get, missing_foreign_and_malformed_ids_are_404_order_not_found) {
  const auto owner = register_owner(port(), "get404");
  const auto other = register_owner(port(), "get404other");
  const auto mine = id_of(make_order(owner));
  EXPECT_TRUE(is_order_not_found(get_order(other, mine))) << "another bakery's order";
  EXPECT_TRUE(is_order_not_found(get_order(owner, "00000000-0000-4000-8000-000000000000")));
  for (const char* bad : {"not-a-uuid", "123", "00000000-0000-4000-8000-00000000000", "'%20OR%201=1--",
                          "00000000-0000-4000-8000-000000000000x"}) {
    EXPECT_TRUE(is_order_not_found(get_order(owner, bad))) << bad;
  }
  // The same UUID in capitals is the same order.
  std::string upper = mine;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto u = get_order(owner, upper);
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_EQ(json_of(u).at("id").as_string(), mine);
}

TEST(orders_get, shows_the_live_lock_of_a_locked_order) {
  const auto owner = register_owner(port(), "getlock");
  const auto staff = add_user(owner, "staff", "getlockstaff");
  const auto id = id_of(make_order(owner));
  const auto lock = lock_order(staff, id, "tab-1");
  const auto g = get_order(owner, id);
  ASSERT_EQ(g.status, 200) << g.body;
  const auto o = json_of(g);
  ASSERT_TRUE(is_order(o));
  ASSERT_TRUE(o.at("lock").is_object()) << g.body;
  EXPECT_EQ(o.at("lock").as_object(), lock);
  EXPECT_EQ(o.at("lock").as_object().at("userName").as_string(), "User getlockstaff");

  ASSERT_EQ(release(staff, id, "tab-1").status, 204);
  EXPECT_TRUE(json_of(get_order(owner, id)).at("lock").is_null());
}

// ------------------------------------------------------------------ list

// Every page of the list from the first, following nextCursor; the ids in order.
std::vector<std::string> walk(const account& a, const std::string& filter, int limit, int& pages) {
  std::vector<std::string> ids;
  std::string cursor;
  pages = 0;
  while (true) {
    std::string query = "?limit=" + std::to_string(limit) + filter;
    if (!cursor.empty()) query += "&cursor=" + cursor;
    const auto r = list_orders(a, query);
    if (r.status != 200) throw std::runtime_error("list: " + std::to_string(r.status) + " " + r.body);
    const auto body = json_of(r);
    if (body.size() != 2) throw std::runtime_error("list has other fields: " + r.body);
    ++pages;
    const auto& items = body.at("items").as_array();
    if (items.size() > static_cast<std::size_t>(limit)) throw std::runtime_error("page over limit");
    for (const auto& o : items) ids.emplace_back(o.at("id").as_string());
    if (body.at("nextCursor").is_null()) break;
    if (items.size() != static_cast<std::size_t>(limit)) throw std::runtime_error("short page with a next cursor");
    cursor = std::string(body.at("nextCursor").as_string());
    if (pages > 100) throw std::runtime_error("the walk does not end");
  }
  return ids;
}

TEST(orders_list, pages_walk_every_order_exactly_once_newest_first_with_and_without_status) {
  const auto owner = register_owner(port(), "listwalk");
  const auto other = register_owner(port(), "listwalkother");
  make_order(other, "Not mine");
  std::vector<boost::json::object> created;
  for (int i = 0; i < 23; ++i) created.push_back(make_order(owner, "Customer " + std::to_string(i)));
  // Eight of them confirmed, through the lock as a client would.
  std::set<std::string> confirmed;
  for (int i = 0; i < 23; i += 3) {
    const auto id = id_of(created[static_cast<std::size_t>(i)]);
    lock_order(owner, id, "walker");
    const auto p = patch_order(owner, id, {{"status", "confirmed"}}, "walker");
    ASSERT_EQ(p.status, 200) << p.body;
    confirmed.insert(id);
  }
  ASSERT_EQ(confirmed.size(), 8u);
  // The expected order: createdAt descending, then id descending.
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& o : created) keys.emplace_back(std::string(o.at("createdAt").as_string()), id_of(o));
  std::sort(keys.rbegin(), keys.rend());
  std::vector<std::string> all;
  for (const auto& k : keys) all.push_back(k.second);

  int pages = 0;
  EXPECT_EQ(walk(owner, "", 5, pages), all);
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(walk(owner, "", 23, pages), all);
  EXPECT_EQ(pages, 1) << "a full last page has nextCursor null";
  EXPECT_EQ(walk(owner, "", 100, pages), all);
  EXPECT_EQ(walk(owner, "", 1, pages), all);
  EXPECT_EQ(pages, 23);

  std::vector<std::string> want_confirmed;
  std::vector<std::string> want_pending;
  for (const auto& id : all) (confirmed.count(id) != 0 ? want_confirmed : want_pending).push_back(id);
  EXPECT_EQ(walk(owner, "&status=confirmed", 3, pages), want_confirmed);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(walk(owner, "&status=pending", 4, pages), want_pending);
  EXPECT_EQ(walk(owner, "&status=ready", 4, pages), std::vector<std::string>{});
  EXPECT_EQ(pages, 1);

  // The other bakery sees its one order only.
  EXPECT_EQ(walk(other, "", 50, pages).size(), 1u);
}

TEST(orders_list, default_limit_is_50_and_items_are_full_orders) {
  const auto owner = register_owner(port(), "listdefault");
  for (int i = 0; i < 51; ++i) make_order(owner, "C" + std::to_string(i));
  const auto r = list_orders(owner);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  const auto body = json_of(r);
  ASSERT_EQ(body.at("items").as_array().size(), 50u);
  for (const auto& o : body.at("items").as_array()) ASSERT_TRUE(is_order(o.as_object()));
  ASSERT_TRUE(body.at("nextCursor").is_string());
  const auto next = list_orders(owner, "?cursor=" + std::string(body.at("nextCursor").as_string()));
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(json_of(next).at("items").as_array().size(), 1u);
  EXPECT_TRUE(json_of(next).at("nextCursor").is_null());
}

TEST(orders_list, an_empty_bakery_has_an_empty_list) {
  const auto owner = register_owner(port(), "listempty");
  const auto r = list_orders(owner);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r), (boost::json::object{{"items", boost::json::array{}}, {"nextCursor", nullptr}}));
}

TEST(orders_list, invalid_status_limit_or_cursor_is_400) {
  const auto owner = register_owner(port(), "list400");
  make_order(owner);
  for (const std::string q : {"?limit=0", "?limit=101", "?limit=abc", "?limit=1.5", "?limit=-1", "?limit=",
                              "?limit=%2B5", "?limit=5&limit=6", "?limit=1e1", "?limit=0x10", "?limit=99999999999999999999",
                              "?status=PENDING", "?status=done", "?status=", "?status=pending&status=ready",
                              "?cursor=", "?cursor=garbage!", "?cursor=MTIzfG5vdC1hLXV1aWQ", "?cursor=%00",
                              "?cursor=a&cursor=b"}) {
    EXPECT_TRUE(is_bad_request(list_orders(owner, q))) << q;
  }
  for (const std::string q : {"?limit=1", "?limit=100", "?limit=050", "?status=cancelled", "?unknown=1"}) {
    EXPECT_EQ(list_orders(owner, q).status, 200) << q;
  }
}

TEST(orders_list, shows_each_orders_live_lock) {
  const auto owner = register_owner(port(), "listlock");
  const auto admin = add_user(owner, "admin", "listlockadmin");
  const auto a = id_of(make_order(owner, "A"));
  const auto b = id_of(make_order(owner, "B"));
  const auto c = id_of(make_order(owner, "C"));
  const auto la = lock_order(admin, a, "s-a");
  const auto lc = lock_order(owner, c, "s-c");
  const auto r = list_orders(owner);
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, boost::json::value> locks;
  const auto body = json_of(r);
  for (const auto& o : body.at("items").as_array()) locks[std::string(o.at("id").as_string())] = o.at("lock");
  ASSERT_EQ(locks.size(), 3u);
  EXPECT_EQ(locks[a], boost::json::value(la));
  EXPECT_TRUE(locks[b].is_null());
  EXPECT_EQ(locks[c], boost::json::value(lc));
  // Another bakery's list never shows them, locked or not.
  const auto other = register_owner(port(), "listlockother");
  EXPECT_TRUE(json_of(list_orders(other)).at("items").as_array().empty());
}

}  // namespace
}  // namespace bakewind::test::orders_e2e
