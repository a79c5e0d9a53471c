// orders::append_json and locks::append_json write exactly what serialising
// their DOM (to_json) wrote, for any field values; order_from_json, an event
// parser now, accepts and refuses what the DOM reading accepted and refused.

#include "core/json.hpp"
#include "locks/lock_info.hpp"
#include "orders/order.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <climits>
#include <random>
#include <string>
#include <vector>

namespace bakewind::orders {
namespace {

// Text that is hard to escape: quotes, backslashes, every control character,
// DEL, UTF-8 of two to four bytes, invalid bytes, runs longer than the
// escaper's eight-byte steps, and nothing at all.
std::string awkward_text(std::mt19937& rng) {
  static const std::string pieces[] = {"",       "Ada",      "\"",       "\\",           "\x7f",
                                       "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x8D\x9E", "\xFF\xFE",   "a long plain run of text",
                                       "\n\r\t\b\f", "</script>", "0123456789abcdef", "\"quoted\" \\back\\"};
  std::string s;
  const int n = static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) {
    if (rng() % 4 == 0) {
      s.push_back(static_cast<char>(rng() % 0x20));  // a control character
    } else {
      s += pieces[rng() % std::size(pieces)];
    }
  }
  return s;
}

long long awkward_number(std::mt19937& rng) {
  static const long long numbers[] = {0, 1, -1, 250, LLONG_MAX, LLONG_MIN, 100000000, -9007199254740993LL};
  return numbers[rng() % std::size(numbers)];
}

locks::lock_info random_lock(std::mt19937& rng) {
  return locks::lock_info{awkward_text(rng), awkward_text(rng), awkward_text(rng), awkward_text(rng),
                          awkward_text(rng), awkward_text(rng), awkward_text(rng), awkward_text(rng),
                          awkward_number(rng)};
}

order random_order(std::mt19937& rng) {
  order o;
  o.id = awkward_text(rng);
  o.bakery_id = awkward_text(rng);
  o.customer_name = awkward_text(rng);
  const int items = static_cast<int>(rng() % 5);
  for (int i = 0; i < items; ++i) o.items.push_back(item{awkward_text(rng), awkward_number(rng), awkward_number(rng)});
  o.total_cents = awkward_number(rng);
  o.status = awkward_text(rng);
  if (rng() % 2 == 0) o.due_at = awkward_text(rng);
  o.notes = awkward_text(rng);
  o.version = awkward_number(rng);
  o.created_by = awkward_text(rng);
  o.created_at = awkward_text(rng);
  o.updated_at = awkward_text(rng);
  if (rng() % 2 == 0) o.lock = random_lock(rng);
  return o;
}

std::string dom_text(const order& o) { return core::to_json(to_json(o)); }

std::string direct_text(const order& o) {
  std::string out;
  append_json(out, o);
  return out;
}

TEST(order_text, append_json_writes_the_bytes_of_the_dom_for_any_order) {
  std::mt19937 rng(20);
  for (int i = 0; i < 3000; ++i) {
    const order o = random_order(rng);
    ASSERT_EQ(direct_text(o), dom_text(o)) << "order " << i;
  }
}

TEST(order_text, append_json_appends_to_what_is_there) {
  std::mt19937 rng(7);
  const order o = random_order(rng);
  std::string out = "prefix|";
  append_json(out, o);
  EXPECT_EQ(out, "prefix|" + dom_text(o));
}

TEST(order_text, the_cached_form_has_a_null_lock_whatever_the_order_holds) {
  std::mt19937 rng(21);
  for (int i = 0; i < 500; ++i) {
    order o = random_order(rng);
    o.lock = random_lock(rng);
    std::string cached;
    append_json_without_lock(cached, o);
    o.lock.reset();
    ASSERT_EQ(cached, dom_text(o));
  }
}

TEST(order_text, lock_info_append_json_writes_the_bytes_of_the_dom) {
  std::mt19937 rng(22);
  for (int i = 0; i < 1000; ++i) {
    const locks::lock_info l = random_lock(rng);
    std::string out;
    locks::append_json(out, l);
    ASSERT_EQ(out, core::to_json(locks::to_json(l)));
  }
}

TEST(order_text, a_locks_redis_value_is_the_bytes_of_the_dom_and_reads_back) {
  std::mt19937 rng(23);
  for (int i = 0; i < 1000; ++i) {
    const locks::lock_info l = random_lock(rng);
    auto dom = locks::to_json(l);
    dom["bakeryId"] = l.bakery_id;
    dom["expiresMs"] = l.expires_ms;
    const std::string value = locks::to_redis_value(l);
    ASSERT_EQ(value, core::to_json(dom));
    // (Invalid UTF-8, which awkward_text makes on purpose, is no JSON to read.)
    if (!core::parse_json(value)) continue;
    const auto back = locks::from_redis_value(value);
    ASSERT_TRUE(back.has_value()) << value;
    EXPECT_EQ(back->order_id, l.order_id);
    EXPECT_EQ(back->bakery_id, l.bakery_id);
    EXPECT_EQ(back->user_name, l.user_name);
    EXPECT_EQ(back->expires_ms, l.expires_ms);
  }
}

TEST(order_text, items_json_is_the_dom_items_array) {
  std::mt19937 rng(23);
  for (int i = 0; i < 300; ++i) {
    const order o = random_order(rng);
    ASSERT_EQ(items_json(o.items), core::to_json(to_json(o).at("items")));
  }
}

// The reading before the event parser: a DOM, then each field looked up.
bool dom_accepts(std::string_view text) {
  const auto v = core::parse_json(text);
  const auto* o = v ? v->if_object() : nullptr;
  if (o == nullptr) return false;
  for (const char* f : {"id", "bakeryId", "customerName", "status", "notes", "createdBy", "createdAt", "updatedAt"}) {
    if (!o->contains(f) || !o->at(f).is_string()) return false;
  }
  for (const char* f : {"totalCents", "version"}) {
    if (!o->contains(f) || !o->at(f).is_int64()) return false;
  }
  if (!o->contains("dueAt") || !(o->at("dueAt").is_null() || o->at("dueAt").is_string())) return false;
  if (!o->contains("items") || !o->at("items").is_array()) return false;
  for (const auto& i : o->at("items").get_array()) {
    const auto* io = i.if_object();
    if (io == nullptr || !io->contains("product") || !io->at("product").is_string() || !io->contains("quantity") ||
        !io->at("quantity").is_int64() || !io->contains("unitPriceCents") || !io->at("unitPriceCents").is_int64()) {
      return false;
    }
  }
  return true;
}

TEST(order_text, every_cached_form_reads_back_as_the_same_order) {
  std::mt19937 rng(24);
  int read = 0;
  for (int i = 0; i < 2000; ++i) {
    order o = random_order(rng);
    o.lock.reset();
    std::string cached;
    append_json_without_lock(cached, o);
    // Invalid UTF-8 (some of the awkward texts) is refused, as by the DOM.
    const auto back = order_from_json(cached);
    ASSERT_EQ(back.has_value(), dom_accepts(cached)) << cached;
    if (!back) continue;
    ++read;
    EXPECT_FALSE(back->lock.has_value());
    ASSERT_EQ(dom_text(*back), cached);
  }
  EXPECT_GT(read, 300);  // about half: the rest hold invalid UTF-8
}

TEST(order_text, strings_and_keys_that_arrive_in_parts_read_back_whole) {
  // Long escaped text comes from the parser in several parts.
  order o;
  o.id = "id";
  for (int i = 0; i < 3000; ++i) o.customer_name += "\"\\\n\xC3\xA9";
  o.notes = std::string(20000, 'n');
  o.items = {item{o.customer_name, 1, 2}};
  std::string cached;
  append_json_without_lock(cached, o);
  auto back = order_from_json(cached);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->customer_name, o.customer_name);
  EXPECT_EQ(back->notes, o.notes);
  EXPECT_EQ(back->items.at(0).product, o.customer_name);
  // An escaped key names the same field, as in a DOM.
  const std::string escaped_key = R"({"i\u0064":"x",)" + cached.substr(cached.find(R"("bakeryId")"));
  back = order_from_json(escaped_key);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, "x");
}

TEST(order_text, refuses_and_accepts_what_the_dom_reading_did) {
  order o;
  o.id = "0b4c8f5e-6a51-4c4e-9a57-2f1d3f6c9a10";
  o.items = {item{"Baguette", 2, 250}};
  std::string good;
  append_json_without_lock(good, o);
  const std::string body = good.substr(1, good.size() - 2);  // without the braces
  const std::string values[] = {R"("t")", "7", "-7", "18446744073709551615", "9223372036854775808", "5.0", "1e3",
                                "true", "null", "[]", "{}", R"([{"product":"x","quantity":1,"unitPriceCents":2}])",
                                R"([{"product":"x","quantity":1}])", "[1]", R"([{"product":"x","quantity":1,"unitPriceCents":2,"more":[{}]}])",
                                R"({"a":[1,{"b":null}]})"};
  const char* keys[] = {"id", "bakeryId", "items", "totalCents", "dueAt", "version", "lock", "extra"};
  int accepted = 0;
  for (const char* key : keys) {
    for (const auto& value : values) {
      // The field replaced (or added) with `value`, everything else as written.
      auto doc = boost::json::parse(good).as_object();
      doc[key] = boost::json::parse(value);
      const std::string text = core::to_json(doc);
      ASSERT_EQ(order_from_json(text).has_value(), dom_accepts(text)) << text;
      accepted += dom_accepts(text) ? 1 : 0;
    }
  }
  EXPECT_GT(accepted, 20);
  const std::vector<std::string> others{"",          "[]",       "null",           "{" + body,
                                      good + " ", good + "x", good + good,      " \n" + good,
                                      "[" + good + "]", R"({"o":)" + good + "}"};
  for (const auto& text : others) {
    EXPECT_EQ(order_from_json(text).has_value(), dom_accepts(text)) << text;
  }
}

}  // namespace
}  // namespace bakewind::orders
