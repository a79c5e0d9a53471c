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
  return core::to_json(items_array(items));
}

namespace {

std::vector<item> items_of(const json::array& array) {
  std::vector<item> out;
  out.reserve(array.size());
  for (const auto& v : array) {
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

bool take_text(const json::object& o, std::string_view name, std::string& out) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return false;
  out.assign(v->get_string());
  return true;
}

bool take_number(const json::object& o, std::string_view name, long long& out) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_int64()) return false;
  out = v->get_int64();
  return true;
}

}  // namespace

std::vector<item> items_from_json(std::string_view text) {
  const auto parsed = core::parse_json(text);
  if (!parsed || !parsed->is_array()) throw std::runtime_error("order items are not a JSON array");
  return items_of(parsed->get_array());
}

std::optional<order> order_from_json(std::string_view text) {
  const auto parsed = core::parse_json(text);
  const auto* o = parsed ? parsed->if_object() : nullptr;
  if (o == nullptr) return std::nullopt;
  order out;
  const auto* items = o->if_contains("items");
  const auto* due = o->if_contains("dueAt");
  if (!take_text(*o, "id", out.id) || !take_text(*o, "bakeryId", out.bakery_id) ||
      !take_text(*o, "customerName", out.customer_name) || !take_number(*o, "totalCents", out.total_cents) ||
      !take_text(*o, "status", out.status) || !take_text(*o, "notes", out.notes) ||
      !take_number(*o, "version", out.version) || !take_text(*o, "createdBy", out.created_by) ||
      !take_text(*o, "createdAt", out.created_at) || !take_text(*o, "updatedAt", out.updated_at) ||
      items == nullptr || !items->is_array() || due == nullptr || !(due->is_null() || due->is_string())) {
    return std::nullopt;
  }
  try {
    out.items = items_of(items->get_array());
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
  if (due->is_string()) out.due_at.emplace(due->get_string());
  return out;
}

}  // namespace bakewind::orders
