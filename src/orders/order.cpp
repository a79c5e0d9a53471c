#include "orders/order.hpp"

#include "core/json.hpp"

#include <boost/json.hpp>

#include <stdexcept>

namespace bakewind::orders {

namespace json = boost::json;

bool is_status(std::string_view s) noexcept {
  for (const auto known : statuses) {
    if (s == known) return true;
  }
  return false;
}

long long total_of(const std::vector<item>& items) noexcept {
  long long total = 0;
  for (const auto& i : items) total += i.quantity * i.unit_price_cents;
  return total;
}

namespace {

json::array items_array(const std::vector<item>& items) {
  json::array out;
  out.reserve(items.size());
  for (const auto& i : items) {
    out.push_back(
        json::object{{"product", i.product}, {"quantity", i.quantity}, {"unitPriceCents", i.unit_price_cents}});
  }
  return out;
}

}  // namespace

json::object to_json(const order& o) {
  json::object out;
  out["id"] = o.id;
  out["bakeryId"] = o.bakery_id;
  out["customerName"] = o.customer_name;
  out["items"] = items_array(o.items);
  out["totalCents"] = o.total_cents;
  out["status"] = o.status;
  out["dueAt"] = o.due_at ? json::value(*o.due_at) : json::value(nullptr);
  out["notes"] = o.notes;
  out["version"] = o.version;
  out["createdBy"] = o.created_by;
  out["createdAt"] = o.created_at;
  out["updatedAt"] = o.updated_at;
  out["lock"] = o.lock ? json::value(locks::to_json(*o.lock)) : json::value(nullptr);
  return out;
}

std::string items_json(const std::vector<item>& items) {
  return json::serialize(items_array(items));
}

std::vector<item> items_from_json(std::string_view text) {
  const auto parsed = core::parse_json(text);
  if (!parsed || !parsed->is_array()) throw std::runtime_error("order items are not a JSON array");
  std::vector<item> out;
  for (const auto& v : parsed->get_array()) {
    const auto* o = v.if_object();
    const auto* product = o != nullptr ? o->if_contains("product") : nullptr;
    const auto* quantity = o != nullptr ? o->if_contains("quantity") : nullptr;
    const auto* price = o != nullptr ? o->if_contains("unitPriceCents") : nullptr;
    if (product == nullptr || !product->is_string() || quantity == nullptr || !quantity->is_int64() ||
        price == nullptr || !price->is_int64()) {
      throw std::runtime_error("malformed order item");
    }
    out.push_back(item{std::string(product->get_string()), quantity->get_int64(), price->get_int64()});
  }
  return out;
}

}  // namespace bakewind::orders
