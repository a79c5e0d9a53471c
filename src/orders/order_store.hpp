#pragma once
// Orders in PostgreSQL: all SQL about the orders table. Every method is one
// statement. Infrastructure failures throw (pg errors, unavailable_error);
// outcomes that depend on input (no such order, no lock) come back as values.
// Ids must be canonical UUIDs (the caller checks): anything else is an error.

#include "orders/order.hpp"
#include "pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace bakewind::orders {

class order_store {
 public:
  /// `pg` must outlive the store.
  explicit order_store(pg::pool& pg) : pg_(pg) {}

  /// Inserts a new order (pending, version 1) of `bakery_id` by `user_id`.
  boost::asio::awaitable<order> create(std::string bakery_id, std::string user_id, new_order o);

  /// An order as the demo data has it (app/demo.cpp): `items` as JSON text,
  /// any `status`, due on the hour `due_in_hours` from now.
  struct sample {
    std::string customer;
    std::string items;
    long long total_cents = 0;
    std::string status;
    int due_in_hours = 0;
  };
  /// Inserts `s` for `bakery_id`, created by `user_id`.
  boost::asio::awaitable<void> add_sample(std::string bakery_id, std::string user_id, sample s);

  /// The order, when it is in the bakery.
  boost::asio::awaitable<std::optional<order>> find(std::string id, std::string bakery_id);

  /// Up to `limit` orders of the bakery, newest first (created_at, then id,
  /// descending), only `status` ones when given, strictly after `after`.
  boost::asio::awaitable<page> list(std::string bakery_id, std::optional<std::string> status, std::size_t limit,
                                    std::optional<page_position> after);

  /// Applies `changes` (version + 1, updatedAt now) in one statement that
  /// also checks that `user_id` holds the order's live lock with
  /// `session_id`; nullopt when the order is not in the bakery or the lock is
  /// not held so.
  boost::asio::awaitable<std::optional<order>> update_locked(std::string id, std::string bakery_id, std::string user_id,
                                                             std::string session_id, order_changes changes);

  /// Whether the order is in the bakery.
  boost::asio::awaitable<bool> exists(std::string id, std::string bakery_id);

  /// Deletes the order (its lock row goes with it); false when it is not in the bakery.
  boost::asio::awaitable<bool> remove(std::string id, std::string bakery_id);

 private:
  pg::pool& pg_;
};

}  // namespace bakewind::orders
