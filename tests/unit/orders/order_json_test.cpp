// orders::order_from_json: reads back exactly what to_json wrote (the order
// cache's copies), and nothing else.

#include "orders/order.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace bakewind::orders {
namespace {

order sample() {
  order o;
  o.id = "0b4c8f5e-6a51-4c4e-9a57-2f1d3f6c9a10";
  o.bakery_id = "5d0e8a3c-1f2b-4a6d-8e9f-0a1b2c3d4e5f";
  o.customer_name = "Ada \"the\" Baker \xC3\xA9";
  o.items = {item{"Baguette", 2, 250}, item{"Croissant", 3, 120}};
  o.total_cents = 860;
  o.status = "confirmed";
  o.due_at = "2026-11-27T08:00:00.000Z";
  o.notes = "ring twice";
  o.version = 7;
  o.created_by = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
  o.created_at = "2026-11-25T10:00:00.123Z";
  o.updated_at = "2026-11-26T11:00:00.456Z";
  return o;
}

TEST(order_json, what_to_json_writes_reads_back_field_for_field) {
  for (const bool due : {true, false}) {
    order o = sample();
    if (!due) o.due_at.reset();
    const auto back = order_from_json(boost::json::serialize(to_json(o)));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(boost::json::serialize(to_json(*back)), boost::json::serialize(to_json(o)));
    EXPECT_EQ(back->items.size(), 2u);
    EXPECT_EQ(back->due_at.has_value(), due);
    EXPECT_FALSE(back->lock.has_value());
  }
}

TEST(order_json, anything_else_is_refused) {
  const std::string good = boost::json::serialize(to_json(sample()));
  EXPECT_FALSE(order_from_json("").has_value());
  EXPECT_FALSE(order_from_json("[]").has_value());
  EXPECT_FALSE(order_from_json(good.substr(0, good.size() - 1)).has_value());
  auto without = [&](const char* field) {
    auto v = to_json(sample());
    v.erase(field);
    return boost::json::serialize(v);
  };
  for (const char* f : {"id", "bakeryId", "customerName", "items", "totalCents", "status", "dueAt", "notes", "version",
                        "createdBy", "createdAt", "updatedAt"}) {
    EXPECT_FALSE(order_from_json(without(f)).has_value()) << f;
  }
  auto v = to_json(sample());
  v["version"] = "7";
  EXPECT_FALSE(order_from_json(boost::json::serialize(v)).has_value());
  v = to_json(sample());
  v["items"] = boost::json::array{boost::json::object{{"product", "x"}}};
  EXPECT_FALSE(order_from_json(boost::json::serialize(v)).has_value());
}

}  // namespace
}  // namespace bakewind::orders
