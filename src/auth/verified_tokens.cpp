#include "auth/verified_tokens.hpp"

namespace bakewind::auth {

std::optional<claims> verified_tokens::find(std::string_view token, long long now_s) {
  const auto it = by_token_.find(token);
  if (it == by_token_.end()) return std::nullopt;
  if (it->second.exp <= now_s) {
    by_token_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void verified_tokens::remember(std::string_view token, const claims& c) {
  if (capacity_ == 0) return;
  if (by_token_.size() >= capacity_) by_token_.clear();
  by_token_.insert_or_assign(std::string(token), c);
}

}  // namespace bakewind::auth
