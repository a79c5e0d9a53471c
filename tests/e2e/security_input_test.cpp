// Issue 10, black-box: hostile input. SQL and Lua injection attempts in every
// string field are stored as plain text or refused with a 4xx, never a 5xx,
// and leave the data intact; CR/LF can never put a header into a response;
// absurdly nested JSON and very long strings are refused cleanly, and the
// process keeps serving.

#include "security_helpers.hpp"

namespace bakewind::test::security_e2e {
namespace {

/// Strings that would break a query or a script built by concatenation.
const std::vector<std::string>& payloads() {
  static const std::vector<std::string> p{
      "' OR '1'='1",
      "x'); DROP TABLE users; --",
      "\" OR \"\"=\"",
      "'; SELECT pg_sleep(3); --",
      "$$; DELETE FROM orders; $$",
      "\\'; TRUNCATE bakeries CASCADE; --",
      "]]; redis.call('FLUSHALL'); --[[",
      "\"); redis.call('DEL', KEYS[1]); return (\"",
      "*",
      "order_lock:*",
      "\r\n*1\r\n$8\r\nFLUSHALL\r\n",
      "%00%27%22",
      std::string("nul\0byte", 8),
      "\xF0\x9F\xA5\x96 \xC3\xA9",  // valid UTF-8 (a baguette, an e acute)
  };
  return p;
}

/// A string field value: the payload inside "...@example.com" for emails.
std::string email_with(const std::string& p) { return "x" + p + "@example.com"; }

/// A's and B's first orders, as one text: no injection may change them.
std::string first_orders() {
  return sql_value(w().db,
                   "SELECT string_agg(id::text || ':' || version || ':' || customer_name, ',' ORDER BY id) "
                   "FROM orders WHERE id IN ('" + w().a_order + "', '" + w().b_order + "')");
}

/// Redis still holds A's lock (no FLUSHALL, no DEL got through).
::testing::AssertionResult redis_intact() {
  if (redis_command(w().redis.port(), {"EXISTS", "order_lock:{" + w().a_owner.bakery_id + "}:" + w().a_order}).integer != 1) {
    return ::testing::AssertionFailure() << "A's lock key is gone from Redis";
  }
  return ::testing::AssertionSuccess();
}

/// Checks one answer and counts it.
struct verdicts {
  int sent = 0;
  void check(const http_reply& r, const std::string& what) {
    ++sent;
    EXPECT_TRUE(is_not_a_server_error(r)) << what;
  }
};

TEST(security_injection, every_string_field_of_auth_and_users_takes_injections_without_a_5xx) {
  const auto before = first_orders();
  const auto bakeries_before = std::stoi(sql_value(w().db, "SELECT count(*) FROM bakeries"));
  const auto users_before = std::stoi(sql_value(w().db, "SELECT count(*) FROM users"));
  verdicts v;
  int created = 0;
  for (const auto& p : payloads()) {
    const auto body = [&](const char* field) {
      boost::json::object o{{"email", unique_email("inj")}, {"password", "password-123"}, {"name", "N"},
                            {"bakeryName", "B"}};
      o[field] = std::string(field) == "email" ? email_with(p) : p + "-padding";
      return core::to_json(o);
    };
    for (const char* field : {"email", "password", "name", "bakeryName"}) {
      const auto r = post(w().port(), "/api/v1/auth/register", body(field));
      v.check(r, std::string("register ") + field + ": " + p);
      if (r.status == 201) {
        ++created;
        // Stored as sent, byte for byte: the value was a parameter, not SQL.
        const auto me_reply = me(w().port(), std::string(json_of(r).at("accessToken").as_string()));
        const auto user = json_of(me_reply);
        if (std::string(field) == "name") {
          EXPECT_EQ(user.at("name").as_string(), p + "-padding");
        }
      }
    }
    v.check(post(w().port(), "/api/v1/auth/login", login_body(email_with(p), "password-123")), "login email " + p);
    v.check(post(w().port(), "/api/v1/auth/login", login_body(w().a_owner.email, p)), "login password " + p);
    const auto token_body = core::to_json(boost::json::object{{"refreshToken", p}});
    v.check(post(w().port(), "/api/v1/auth/refresh", token_body), "refresh " + p);
    v.check(authed(w().port(), "POST", "/api/v1/auth/transfer", w().b_staff.access, token_body), "transfer " + p);
    v.check(post(w().port(), "/api/v1/auth/transfer/claim", core::to_json(boost::json::object{{"sessionId", p}})),
            "claim " + p);
    for (const char* field : {"email", "password", "name", "role"}) {
      boost::json::object o{{"email", unique_email("inj-user")}, {"password", "password-123"}, {"name", "N"},
                            {"role", "staff"}};
      o[field] = std::string(field) == "email" ? email_with(p) : p + "-padding";
      const auto r = authed(w().port(), "POST", "/api/v1/users", w().b_owner.access, core::to_json(o));
      v.check(r, std::string("users ") + field + ": " + p);
      if (r.status == 201) ++created;
    }
  }
  EXPECT_GT(v.sent, 100);
  EXPECT_GT(created, 0) << "some payloads are valid names and passwords, and were stored";
  EXPECT_EQ(std::stoi(sql_value(w().db, "SELECT count(*) FROM users")), users_before + created);
  EXPECT_GE(std::stoi(sql_value(w().db, "SELECT count(*) FROM bakeries")), bakeries_before);
  EXPECT_EQ(first_orders(), before);
  EXPECT_TRUE(redis_intact());
  EXPECT_EQ(login(w().port(), w().a_owner.email, w().a_owner.password).id, w().a_owner.id);
}

TEST(security_injection, every_string_field_of_orders_and_locks_takes_injections_without_a_5xx) {
  const auto before = first_orders();
  const auto& a = w().b_owner;
  const auto order = add_order(w().port(), a, "Injection target");
  ASSERT_EQ(authed(w().port(), "POST", "/api/v1/orders/" + order + "/lock", a.access, R"({"sessionId":"inj-s"})").status,
            201);
  verdicts v;
  for (const auto& p : payloads()) {
    const boost::json::object item{{"product", p}, {"quantity", 1}, {"unitPriceCents", 100}};
    const boost::json::object create{{"customerName", p}, {"items", boost::json::array{item}}, {"notes", p}};
    const auto made = authed(w().port(), "POST", "/api/v1/orders", a.access, core::to_json(create));
    v.check(made, "create " + p);
    if (made.status == 201) {
      const auto id = std::string(json_of(made).at("id").as_string());
      const auto got = json_of(authed(w().port(), "GET", "/api/v1/orders/" + id, a.access));
      EXPECT_EQ(got.at("customerName").as_string(), p) << "stored as sent";
      EXPECT_EQ(got.at("notes").as_string(), p);
      EXPECT_EQ(got.at("items").as_array().at(0).as_object().at("product").as_string(), p);
    }
    v.check(authed(w().port(), "POST", "/api/v1/orders", a.access,
                   core::to_json(boost::json::object{{"customerName", "C"}, {"items", boost::json::array{item}},
                                                     {"dueAt", p}})),
            "dueAt " + p);
    for (const char* field : {"customerName", "notes", "status", "dueAt"}) {
      boost::json::object patch;
      patch[field] = p;
      v.check(authed(w().port(), "PATCH", "/api/v1/orders/" + order, a.access, core::to_json(patch),
                     "X-Lock-Session: inj-s\r\n"),
              std::string("patch ") + field + " " + p);
    }
    const auto session = core::to_json(boost::json::object{{"sessionId", p}});
    const auto encoded = b64url_encode(p);  // URL-safe, so it reaches the handler intact
    v.check(authed(w().port(), "POST", "/api/v1/orders/" + order + "/lock", a.access, session), "acquire " + p);
    v.check(authed(w().port(), "PUT", "/api/v1/orders/" + order + "/lock", a.access, session), "renew " + p);
    v.check(authed(w().port(), "DELETE", "/api/v1/orders/" + order + "/lock?sessionId=" + encoded, a.access),
            "release " + p);
    v.check(authed(w().port(), "PATCH", "/api/v1/orders/" + order, a.access, R"({"notes":"n"})",
                   "X-Lock-Session: " + encoded + "\r\n"),
            "X-Lock-Session " + p);
    v.check(authed(w().port(), "GET", "/api/v1/orders/" + encoded, a.access), "order id " + p);
    v.check(authed(w().port(), "GET", "/api/v1/orders/" + encoded + "/lock", a.access), "lock id " + p);
    v.check(authed(w().port(), "GET", "/api/v1/orders?status=" + encoded + "&cursor=" + encoded, a.access),
            "list query " + p);
  }
  EXPECT_GT(v.sent, 150);
  EXPECT_EQ(first_orders(), before) << "A's and B's first orders untouched";
  EXPECT_TRUE(redis_intact());
  // The lock of the target order is still exactly the one taken above.
  const auto lock = json_of(authed(w().port(), "GET", "/api/v1/orders/" + order + "/lock", a.access));
  EXPECT_TRUE(lock.at("locked").as_bool());
  EXPECT_EQ(lock.at("sessionId").as_string(), "inj-s");
}

// ---------------------------------------------------------- header injection

/// No response header was put there by the request.
::testing::AssertionResult no_injected_header(const http_reply& r) {
  for (const auto& [name, value] : r.headers) {
    if (name.find("injected") != std::string::npos || value.find("injected") != std::string::npos) {
      return ::testing::AssertionFailure() << "response header " << name << ": " << value;
    }
  }
  if (r.status >= 500) return ::testing::AssertionFailure() << "status " << r.status;
  return ::testing::AssertionSuccess();
}

TEST(security_headers, cr_lf_in_echoed_header_values_never_makes_a_response_header) {
  const auto port = w().port();
  const std::string origin = "http://localhost:3000";
  const std::vector<std::pair<std::string, std::string>> requests{
      {"request id folded", "X-Request-Id: abc\r\n X-Injected: yes\r\n"},
      {"request id with a bare CR", "X-Request-Id: abc\rX-Injected: yes\r\n"},
      {"request id with a bare LF", "X-Request-Id: abc\nX-Injected: yes\r\n"},
      {"request id percent-encoded CRLF", "X-Request-Id: abc%0d%0aX-Injected:%20yes\r\n"},
      {"origin folded", "Origin: " + origin + "\r\n X-Injected: yes\r\n"},
      {"origin with a bare CR", "Origin: " + origin + "\rX-Injected: yes\r\n"},
      {"preflight headers folded",
       "Origin: " + origin + "\r\nAccess-Control-Request-Method: POST\r\n"
       "Access-Control-Request-Headers: content-type\r\n X-Injected: yes\r\n"},
  };
  for (const auto& [what, headers] : requests) {
    for (const char* method : {"GET", "OPTIONS"}) {
      std::optional<http_reply> r;
      try {
        r = http_call(port, method, "/api/v1/auth/me", {}, headers);
      } catch (const std::exception&) {
        // The server may drop a request it cannot parse: nothing was echoed.
      }
      if (r) {
        EXPECT_TRUE(no_injected_header(*r)) << what << " " << method;
        EXPECT_NE(r->header("x-request-id"), "abc") << "a request id with a line break is not taken";
      }
    }
  }
  // In the target: percent-encoded CRLF stays in the JSON body, if anywhere.
  for (const std::string& target : std::vector<std::string>{"/api/v1/nope%0d%0aX-Injected:%20yes", "/api/v1/orders/%0d%0aX-Injected:%20yes",
        "/api/v1/orders/x/lock?sessionId=%0d%0aX-Injected:%20yes"}) {
    const auto r = authed(port, target.find("lock") != std::string::npos ? "DELETE" : "GET", target, w().b_owner.access);
    EXPECT_TRUE(no_injected_header(r)) << target;
    EXPECT_TRUE(is_clean_4xx(r)) << target;
  }
  EXPECT_EQ(http_call(port, "GET", "/health/live").status, 200);
}

// ----------------------------------------------------------- size and depth

TEST(security_limits, deeply_nested_json_is_a_clean_400_on_every_json_route) {
  const std::string arrays(100000, '[');
  std::string objects;
  for (int i = 0; i < 20000; ++i) objects += R"({"a":)";
  for (const std::string* body : {&arrays, static_cast<const std::string*>(&objects)}) {
    EXPECT_TRUE(is_bad_request(post(w().port(), "/api/v1/auth/login", *body)));
    EXPECT_TRUE(is_bad_request(post(w().port(), "/api/v1/auth/register", *body)));
    EXPECT_TRUE(is_bad_request(post(w().port(), "/api/v1/auth/transfer/claim", *body)));
    EXPECT_TRUE(is_bad_request(authed(w().port(), "POST", "/api/v1/orders", w().b_owner.access, *body)));
    EXPECT_TRUE(is_bad_request(authed(w().port(), "POST", "/api/v1/orders/" + w().b_order + "/lock",
                                      w().b_owner.access, *body)));
  }
  // Nested within a field, closed properly: still only a value of the wrong type, or too deep.
  const auto deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_TRUE(is_bad_request(post(w().port(), "/api/v1/auth/login", R"({"email":)" + deep + R"(,"password":"p"})")));
  EXPECT_TRUE(is_bad_request(authed(w().port(), "POST", "/api/v1/orders", w().b_owner.access,
                                    R"({"customerName":"C","items":)" + deep + "}")));
  EXPECT_EQ(http_call(w().port(), "GET", "/health/live").status, 200);
}

TEST(security_limits, very_long_strings_are_refused_cleanly) {
  const std::string long_text(900 * 1024, 'a');
  const auto reg = [&](const char* field) {
    boost::json::object o{{"email", unique_email("long")}, {"password", "password-123"}, {"name", "N"},
                          {"bakeryName", "B"}};
    o[field] = std::string(field) == "email" ? long_text + "@example.com" : long_text;
    return core::to_json(o);
  };
  for (const char* field : {"email", "password", "name", "bakeryName"}) {
    EXPECT_TRUE(is_bad_request(post(w().port(), "/api/v1/auth/register", reg(field)))) << field;
  }
  EXPECT_TRUE(is_clean_4xx(post(w().port(), "/api/v1/auth/login", login_body(w().a_owner.email, long_text))));
  EXPECT_TRUE(is_clean_4xx(post(w().port(), "/api/v1/auth/refresh",
                                core::to_json(boost::json::object{{"refreshToken", long_text}}))));
  EXPECT_TRUE(is_bad_request(post(w().port(), "/api/v1/auth/transfer/claim",
                                  core::to_json(boost::json::object{{"sessionId", long_text}}))) ||
              is_unauthorized(post(w().port(), "/api/v1/auth/transfer/claim",
                                   core::to_json(boost::json::object{{"sessionId", long_text}})),
                              "Invalid or expired transfer session"));
  const boost::json::object item{{"product", long_text}, {"quantity", 1}, {"unitPriceCents", 1}};
  EXPECT_TRUE(is_bad_request(authed(w().port(), "POST", "/api/v1/orders", w().b_owner.access,
                                    core::to_json(boost::json::object{{"customerName", "C"},
                                                                      {"items", boost::json::array{item}}}))));
  EXPECT_TRUE(is_bad_request(authed(w().port(), "POST", "/api/v1/orders/" + w().b_order + "/lock",
                                    w().b_owner.access,
                                    core::to_json(boost::json::object{{"sessionId", long_text}}))));

  // Over 1 MiB: 413 before anything is parsed.
  const std::string huge(1024 * 1024 + 1, 'b');
  EXPECT_TRUE(is_error(post(w().port(), "/api/v1/auth/login", login_body("x@example.com", huge)), 413,
                       "Payload Too Large", "Request body is larger than 1 MiB"));
  // A very long target or header: a 4xx (431 or 414), never a crash.
  const auto long_target = http_call(w().port(), "GET", "/api/v1/orders/" + std::string(64 * 1024, 'c'));
  EXPECT_GE(long_target.status, 400);
  EXPECT_LT(long_target.status, 500);
  const auto long_header =
      http_call(w().port(), "GET", "/api/v1/auth/me", {}, "Authorization: Bearer " + std::string(64 * 1024, 'd') + "\r\n");
  EXPECT_GE(long_header.status, 400);
  EXPECT_LT(long_header.status, 500);

  EXPECT_TRUE(w().svc.process().running());
  EXPECT_EQ(me(w().port(), w().a_owner.access).status, 200) << "still serving";
}

}  // namespace
}  // namespace bakewind::test::security_e2e
