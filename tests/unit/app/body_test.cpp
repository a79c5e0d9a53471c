// The NestJS-style body validators of app/body.hpp that the orders routes
// added: integers without coercion, arrays of objects with prefixed
// messages, nullable ISO-8601 dates, optional enums; and the list cursor.

#include "app/body.hpp"
#include "app/order_routes.hpp"
#include "core/json.hpp"
#include "http/response.hpp"

#include <gtest/gtest.h>

namespace bakewind::app {
namespace {

http::request request_of(std::string_view json) {
  http::request req;
  req.json = core::parse_json(json);
  if (!req.json) throw std::runtime_error("bad test JSON");
  return req;
}

// The messages finish() throws, or an empty array when it does not.
boost::json::array messages_of(const body_fields& body) {
  try {
    body.finish();
  } catch (const http::http_error& e) {
    EXPECT_EQ(e.status(), 400u);
    return e.message().as_array();
  }
  return {};
}

long long integer_of(std::string_view json, long long min, long long max, boost::json::array& messages) {
  const auto req = request_of(json);
  body_fields body(req);
  const auto v = body.integer("n", min, max);
  messages = messages_of(body);
  return v;
}

TEST(body_integer, accepts_integers_in_range_and_integral_doubles) {
  boost::json::array m;
  EXPECT_EQ(integer_of(R"({"n":1})", 1, 10, m), 1);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(integer_of(R"({"n":10})", 1, 10, m), 10);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(integer_of(R"({"n":2.0})", 1, 10, m), 2) << "JavaScript's Number.isInteger(2.0)";
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(integer_of(R"({"n":1e2})", 0, 100000000, m), 100);
  EXPECT_TRUE(m.empty());
}

TEST(body_integer, refuses_strings_fractions_booleans_null_and_absence) {
  for (const char* json : {R"({"n":"2"})", R"({"n":2.5})", R"({"n":true})", R"({"n":null})", R"({})",
                           R"({"n":[2]})", R"({"n":{"v":2}})"}) {
    boost::json::array m;
    integer_of(json, 1, 10, m);
    ASSERT_EQ(m.size(), 1u) << json;
    EXPECT_EQ(m[0].as_string(), "n must be an integer number") << json;
  }
}

TEST(body_integer, refuses_values_out_of_range_with_the_bound) {
  boost::json::array m;
  integer_of(R"({"n":0})", 1, 10, m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].as_string(), "n must not be less than 1");
  integer_of(R"({"n":11})", 1, 10, m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].as_string(), "n must not be greater than 10");
  integer_of(R"({"n":-3.0})", 1, 10, m);
  EXPECT_EQ(m.size(), 1u);
  integer_of(R"({"n":18446744073709551615})", 0, 10, m);
  EXPECT_EQ(m.size(), 1u) << "uint64";
  integer_of(R"({"n":1e300})", 0, 10, m);
  EXPECT_EQ(m.size(), 1u);
  integer_of(R"({"n":-9223372036854775808})", 0, 10, m);
  EXPECT_EQ(m.size(), 1u);
}

TEST(body_objects, visits_each_element_with_prefixed_messages) {
  const auto req = request_of(R"({"items":[{"q":1},{"q":"2"},{"q":0}]})");
  body_fields body(req);
  std::vector<long long> seen;
  body.objects("items", 1, 5, [&](body_fields& item, std::size_t) { seen.push_back(item.integer("q", 1, 9)); });
  EXPECT_EQ(seen.size(), 3u);
  const auto m = messages_of(body);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].as_string(), "items.1.q must be an integer number");
  EXPECT_EQ(m[1].as_string(), "items.2.q must not be less than 1");
}

TEST(body_objects, refuses_non_arrays_wrong_sizes_and_non_object_elements) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({})", "items must be an array"},
      {R"({"items":{"q":1}})", "items must be an array"},
      {R"({"items":"x"})", "items must be an array"},
      {R"({"items":[]})", "items must contain at least 1 elements"},
      {R"({"items":[{},{},{}]})", "items must contain no more than 2 elements"},
      {R"({"items":[{}, 3]})", "each value in items must be an object"},
      {R"({"items":[null]})", "each value in items must be an object"},
  };
  for (const auto& [json, message] : cases) {
    const auto req = request_of(json);
    body_fields body(req);
    int calls = 0;
    body.objects("items", 1, 2, [&](body_fields&, std::size_t) { ++calls; });
    EXPECT_EQ(calls, 0) << json;
    const auto m = messages_of(body);
    ASSERT_EQ(m.size(), 1u) << json;
    EXPECT_EQ(m[0].as_string(), message) << json;
  }
}

TEST(body_nullable_date, tells_absent_null_and_valid_apart) {
  {
    const auto req = request_of(R"({})");
    body_fields body(req);
    const auto d = body.nullable_date("dueAt");
    EXPECT_FALSE(d.given);
    EXPECT_FALSE(d.value);
    EXPECT_TRUE(messages_of(body).empty());
  }
  {
    const auto req = request_of(R"({"dueAt":null})");
    body_fields body(req);
    const auto d = body.nullable_date("dueAt");
    EXPECT_TRUE(d.given);
    EXPECT_FALSE(d.value);
    EXPECT_TRUE(messages_of(body).empty());
  }
  {
    const auto req = request_of(R"({"dueAt":"2026-11-25T17:03:08.123Z"})");
    body_fields body(req);
    const auto d = body.nullable_date("dueAt");
    EXPECT_TRUE(d.given);
    ASSERT_TRUE(d.value);
    EXPECT_EQ(*d.value, 1795626188123LL);
    EXPECT_TRUE(messages_of(body).empty());
  }
  for (const char* json : {R"({"dueAt":"tomorrow"})", R"({"dueAt":1795626188123})", R"({"dueAt":true})"}) {
    const auto req = request_of(json);
    body_fields body(req);
    const auto d = body.nullable_date("dueAt");
    EXPECT_TRUE(d.given);
    EXPECT_FALSE(d.value);
    const auto m = messages_of(body);
    ASSERT_EQ(m.size(), 1u) << json;
    EXPECT_EQ(m[0].as_string(), "dueAt must be a valid ISO 8601 date string");
  }
}

TEST(parse_iso8601, reads_offsets_fractions_and_optional_seconds) {
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:00.5Z"), 500);
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:00.123456789Z"), 123) << "past ms is cut";
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00"), 0) << "no offset: UTC";
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T01:00:00+0100"), 0);
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:00-01"), 3600000);
  EXPECT_EQ(parse_iso8601_ms("2024-02-29T12:00:00Z"), 1709208000000LL);
  EXPECT_EQ(parse_iso8601_ms("0001-01-01T00:00:00Z"), -62135596800000LL);
  EXPECT_EQ(parse_iso8601_ms("9999-12-31T23:59:59.999Z"), 253402300799999LL);
}

TEST(parse_iso8601, refuses_impossible_or_partial_date_times) {
  for (const char* text : {"", "2026", "2026-11-25", "2026-11-25T", "2026-11-25T17", "2026-13-01T00:00Z",
                           "2026-02-29T00:00Z", "2026-04-31T00:00Z", "2026-11-25T24:00Z", "2026-11-25T23:60Z",
                           "2026-11-25T23:59:60Z", "2026-11-25T17:03:08.Z", "2026-11-25T17:03:08.1234567890Z",
                           "2026-11-25T17:03:08Zjunk", "2026-11-25T17:03:08+25:00", " 2026-11-25T17:03:08Z",
                           "0000-01-01T00:00Z", "9999-12-31T23:59:59.999-01:00", "2026-1-25T17:03:08Z",
                           "+2026-11-25T17:03:08Z"}) {
    EXPECT_FALSE(parse_iso8601_ms(text)) << text;
  }
}

TEST(body_text, refuses_nul_characters) {
  const auto req = request_of(R"({"name":"a\u0000b"})");
  body_fields body(req);
  body.text("name", 1, 10);
  const auto m = messages_of(body);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].as_string(), "name must not contain NUL characters");
}

TEST(body_optional_one_of, is_absent_when_missing_and_checked_when_present_null_included) {
  const auto req = request_of(R"({"a":null,"b":"ready","c":"READY"})");
  body_fields body(req);
  EXPECT_FALSE(body.optional_one_of("missing", {"ready"}));
  EXPECT_EQ(body.optional_one_of("b", {"pending", "ready"}), "ready");
  body.optional_one_of("a", {"ready"});
  body.optional_one_of("c", {"pending", "ready"});
  const auto m = messages_of(body);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].as_string(), "a must be one of the following values: ready");
  EXPECT_EQ(m[1].as_string(), "c must be one of the following values: pending, ready");
}

TEST(body_optional_text, null_is_not_a_string_and_is_null_tells_it_apart) {
  const auto req = request_of(R"({"notes":null,"name":"x"})");
  body_fields body(req);
  EXPECT_TRUE(body.is_null("notes"));
  EXPECT_FALSE(body.is_null("name"));
  EXPECT_FALSE(body.is_null("missing"));
  EXPECT_TRUE(body.has("notes"));
  EXPECT_FALSE(body.optional_text("missing", 0, 10));
  EXPECT_EQ(body.optional_text("name", 0, 10), "x");
  body.optional_text("notes", 0, 10);
  const auto m = messages_of(body);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].as_string(), "notes must be a string");
}

TEST(order_cursor, round_trips_and_refuses_anything_else) {
  const orders::page_position p{1795626188123LL, "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d"};
  const auto c = encode_cursor(p);
  EXPECT_EQ(c.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
  const auto back = decode_cursor(c);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->created_ms, p.created_ms);
  EXPECT_EQ(back->id, p.id);
  for (const char* bad : {"", "!!!", "abc", "MTIz", "MTIzfG5vdC1hLXV1aWQ", "fDAxOTBhM2M0LTVlNmYtN2E4Yi05YzBkLTFlMmYzYTRiNWM2ZA"}) {
    EXPECT_FALSE(decode_cursor(bad)) << bad;
  }
  EXPECT_FALSE(decode_cursor(c + "="));
  EXPECT_FALSE(decode_cursor(std::string(200, 'A')));
}

}  // namespace
}  // namespace bakewind::app
