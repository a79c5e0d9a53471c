#include "auth/user_cache.hpp"

namespace bakewind::auth {

std::optional<user> user_cache::get(const std::string& id) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.row;
}

void user_cache::put(const user& u) {
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.insert_or_assign(u.id, entry{u, std::chrono::steady_clock::now() + ttl_});
}

boost::asio::awaitable<std::optional<user>> find_user(users_repository& users, user_cache& cache, std::string id) {
  if (auto cached = cache.get(id)) co_return cached;
  auto found = co_await users.find_by_id(id);
  if (found) cache.put(*found);
  co_return found;
}

}  // namespace bakewind::auth
