#pragma once
// Orders of a bakery (API.md "Orders"): the store's rows with their live
// edit-lock state from the lock service, the lock-fenced PATCH, and the
// events a change announces. Input is validated by the caller; ids are
// canonical lowercase UUIDs. Infrastructure failures throw.

#include "locks/events.hpp"
#include "locks/lock_service.hpp"
#include "orders/order.hpp"
#include "orders/order_cache.hpp"
#include "orders/order_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace bakewind::orders {

enum class update_outcome {
  updated,        ///< 200
  not_found,      ///< 404: no such order in the caller's bakery
  lock_not_held,  ///< 409: the caller holds no live lock on it with that session (see `lock`)
};

struct update_result {
  update_outcome outcome = update_outcome::not_found;
  std::optional<order> updated;          ///< when updated, with its lock
  std::optional<locks::lock_info> lock;  ///< when not held: the lock as it is now, if any
};

class order_service {
 public:
  /// All references must outlive the service.
  order_service(order_store& store, order_cache& cache, locks::lock_service& locks, locks::event_bus& events)
      : store_(store), cache_(cache), locks_(locks), events_(events) {}

  /// Creates a pending order (version 1) by `user_id`; it has no lock yet.
  boost::asio::awaitable<order> create(std::string bakery_id, std::string user_id, new_order o);

  // Redis (the cache, lock state, events) is asked within `budget`, the
  // request's; once it is spent, the record alone answers (a writer's cache
  // marks are still sent: redis::retry::deliver).

  /// The order with its live lock; nullopt when it is not in the bakery.
  /// The order itself from the cache when it holds it, else from the record.
  boost::asio::awaitable<std::optional<order>> get(std::string bakery_id, std::string id, redis::budget& budget);

  /// A page of the list, each order with its live lock (one Redis round trip).
  boost::asio::awaitable<page> list(std::string bakery_id, std::optional<std::string> status, std::size_t limit,
                                    std::optional<page_position> after, redis::budget& budget);

  /// Applies `changes` if `user_id` holds the order's live lock with
  /// `session_id` (nullopt: no valid session was given, so it holds none),
  /// then announces `order.updated`.
  boost::asio::awaitable<update_result> update(std::string bakery_id, std::string id, std::string user_id,
                                               std::optional<std::string> session_id, order_changes changes,
                                               redis::budget& budget);

  /// Deletes the order; its lock goes too (`order.unlocked`, reason deleted).
  /// False when it is not in the bakery.
  boost::asio::awaitable<bool> remove(std::string bakery_id, std::string id, redis::budget& budget);

 private:
  order_store& store_;
  order_cache& cache_;
  locks::lock_service& locks_;
  locks::event_bus& events_;
};

}  // namespace bakewind::orders
