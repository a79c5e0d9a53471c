#include "orders/order_service.hpp"

#include "core/clock.hpp"

namespace bakewind::orders {

namespace asio = boost::asio;

asio::awaitable<order> order_service::create(std::string bakery_id, std::string user_id, new_order o) {
  order created = co_await store_.create(std::move(bakery_id), std::move(user_id), std::move(o));
  co_return created;
}

asio::awaitable<std::optional<order>> order_service::get(std::string bakery_id, std::string id,
                                                         redis::budget& budget) {
  auto found = co_await cache_.find(id, bakery_id, budget);
  if (!found) {
    const read_ticket ticket = cache_.before_read();
    found = co_await store_.find(id, bakery_id);
    if (!found) co_return std::nullopt;
    co_await cache_.keep(*found, ticket, budget);
  }
  auto lock = co_await locks_.status(std::move(bakery_id), std::move(id), budget);
  found->lock = std::move(lock);
  co_return found;
}

asio::awaitable<page> order_service::list(std::string bakery_id, std::optional<std::string> status, std::size_t limit,
                                          std::optional<page_position> after, redis::budget& budget) {
  page p = co_await store_.list(bakery_id, std::move(status), limit, std::move(after));
  std::vector<std::string> ids;
  ids.reserve(p.items.size());
  for (const auto& o : p.items) ids.push_back(o.id);
  auto live = co_await locks_.status_many(std::move(bakery_id), std::move(ids), budget);
  for (std::size_t i = 0; i < p.items.size() && i < live.size(); ++i) p.items[i].lock = std::move(live[i]);
  co_return p;
}

asio::awaitable<update_result> order_service::update(std::string bakery_id, std::string id, std::string user_id,
                                                     std::optional<std::string> session_id, order_changes changes,
                                                     redis::budget& budget) {
  if (session_id) {
    // Between marks: no copy of the old row outlives the change.
    auto write = store_.update_locked(id, bakery_id, user_id, *session_id, std::move(changes));
    auto updated = co_await cache_.changing(id, std::move(write), budget);
    if (updated) {
      auto lock = co_await locks_.status(bakery_id, id, budget);
      updated->lock = std::move(lock);
      boost::json::object event{{"type", "order.updated"},
                                {"at", core::iso8601_ms(std::chrono::system_clock::now())},
                                {"orderId", updated->id},
                                {"version", updated->version},
                                {"userId", user_id}};
      co_await events_.publish(std::move(bakery_id), std::move(event), &budget);
      co_return update_result{update_outcome::updated, std::move(updated), std::nullopt};
    }
  }
  const bool exists = co_await store_.exists(id, bakery_id);
  if (!exists) co_return update_result{update_outcome::not_found, std::nullopt, std::nullopt};
  auto current = co_await locks_.status(std::move(bakery_id), std::move(id), budget);
  co_return update_result{update_outcome::lock_not_held, std::nullopt, std::move(current)};
}

asio::awaitable<bool> order_service::remove(std::string bakery_id, std::string id, redis::budget& budget) {
  auto had = co_await locks_.status(bakery_id, id, budget);
  auto write = store_.remove(id, bakery_id);
  const bool removed = co_await cache_.changing(id, std::move(write), budget);
  if (!removed) co_return false;
  co_await locks_.forget(std::move(bakery_id), std::move(id), std::move(had), budget);
  co_return true;
}

}  // namespace bakewind::orders
