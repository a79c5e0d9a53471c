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

namespace {

// How many bytes the text of `o` takes, give or take: one allocation for
// the whole body instead of a string growing five times.
std::size_t size_hint(const order& o) {
  std::size_t n = 400 + o.customer_name.size() + o.notes.size() + 60 * o.items.size();
  for (const auto& i : o.items) n += i.product.size();
  return n;
}

void append_items(std::string& out, const std::vector<item>& items) {
  out += '[';
  for (std::size_t k = 0; k < items.size(); ++k) {
    if (k > 0) out += ',';
    core::object_writer(out)
        .string("product", items[k].product)
        .integer("quantity", items[k].quantity)
        .integer("unitPriceCents", items[k].unit_price_cents)
        .close();
  }
  out += ']';
}

// Every field but the lock, in to_json's order; the object left open.
core::object_writer append_fields(std::string& out, const order& o) {
  out.reserve(out.size() + size_hint(o));
  core::object_writer w(out);
  w.string("id", o.id).string("bakeryId", o.bakery_id).string("customerName", o.customer_name);
  append_items(w.member("items"), o.items);
  w.integer("totalCents", o.total_cents)
      .string("status", o.status)
      .string_or_null("dueAt", o.due_at)
      .string("notes", o.notes)
      .integer("version", o.version)
      .string("createdBy", o.created_by)
      .string("createdAt", o.created_at)
      .string("updatedAt", o.updated_at);
  return w;
}

}  // namespace

void append_json(std::string& out, const order& o) {
  core::object_writer w = append_fields(out, o);
  if (o.lock) {
    locks::append_json(w.member("lock"), *o.lock);
  } else {
    w.raw("lock", "null");
  }
  w.close();
}

void append_json_without_lock(std::string& out, const order& o) { append_fields(out, o).raw("lock", "null").close(); }

std::string items_json(const std::vector<item>& items) {
  std::string out;
  append_items(out, items);
  return out;
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

}  // namespace

std::vector<item> items_from_json(std::string_view text) {
  const auto parsed = core::parse_json(text);
  if (!parsed || !parsed->is_array()) throw std::runtime_error("order items are not a JSON array");
  return items_of(parsed->get_array());
}

}  // namespace bakewind::orders
