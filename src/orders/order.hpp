#pragma once
// API.md's `order`: what a bakery sells to one customer, and what a page of
// them and a change to one look like.

#include "locks/lock_info.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::orders {

/// Every status an order can have; a new order is the first.
inline constexpr std::array<std::string_view, 6> statuses{"pending", "confirmed", "in_production",
                                                          "ready",   "delivered", "cancelled"};

/// True for one of `statuses`.
bool is_status(std::string_view s) noexcept;

struct item {
  std::string product;
  long long quantity = 0;
  long long unit_price_cents = 0;
};

struct order {
  std::string id;
  std::string bakery_id;
  std::string customer_name;
  std::vector<item> items;
  long long total_cents = 0;
  std::string status;
  std::optional<std::string> due_at;  ///< ISO-8601 UTC with milliseconds, or none
  std::string notes;
  long long version = 0;
  std::string created_by;
  std::string created_at;  ///< ISO-8601 UTC with milliseconds
  std::string updated_at;
  long long created_ms = 0;              ///< created_at in ms since the epoch (keyset position)
  std::optional<locks::lock_info> lock;  ///< the live edit-lock, when one was read
};

/// What POST creates (validated by the caller).
struct new_order {
  std::string customer_name;
  std::vector<item> items;
  std::optional<long long> due_ms;  ///< dueAt in ms since the epoch
  std::string notes;
};

/// What a PATCH changes: only the fields that are set.
struct order_changes {
  std::optional<std::string> customer_name;
  std::optional<std::vector<item>> items;
  std::optional<std::string> status;
  bool set_due = false;  ///< dueAt given (due_ms empty: cleared)
  std::optional<long long> due_ms;
  std::optional<std::string> notes;
};

/// Where a page of the newest-first list ends: the last order's position.
struct page_position {
  long long created_ms = 0;
  std::string id;
};

/// One page of the list and where the next one starts (none on the last page).
struct page {
  std::vector<order> items;
  std::optional<page_position> next;
};

/// sum(quantity * unitPriceCents).
long long total_of(const std::vector<item>& items) noexcept;

/// API.md's `order`, `lock` null unless set.
boost::json::object to_json(const order& o);

/// to_json(o) written straight into `out` (a response body): the same bytes
/// as core::append_json(out, to_json(o)), without building the object.
void append_json(std::string& out, const order& o);

/// As append_json, with `lock` null whatever `o.lock` holds: the form the
/// order cache keeps (the lock is read live, never copied).
void append_json_without_lock(std::string& out, const order& o);

/// The order of a to_json() text, its `lock` left out (and created_ms 0);
/// nullopt for any other text: not one JSON object, or one that lacks a
/// field or has one of another type (order_parse.cpp).
std::optional<order> order_from_json(std::string_view text);

/// The items as stored (a JSON array of {product, quantity, unitPriceCents}).
std::string items_json(const std::vector<item>& items);

/// Parses what items_json wrote; throws std::runtime_error for anything else.
std::vector<item> items_from_json(std::string_view text);

}  // namespace bakewind::orders
