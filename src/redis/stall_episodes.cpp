#include "redis/stall_episodes.hpp"

#include "core/log.hpp"

namespace bakewind::redis {

void stall_episodes::began(std::string_view endpoint, std::chrono::milliseconds silent) {
  {
    const std::lock_guard lock(mutex_);
    if (stalled_++ > 0) return;
    count_.fetch_add(1, std::memory_order_relaxed);
    since_ = std::chrono::steady_clock::now();
  }
  core::log_warn("redis not answering: requests stop asking it until it answers",
                 {{"endpoint", endpoint}, {"silentMs", static_cast<long long>(silent.count())}});
}

void stall_episodes::ended(std::string_view endpoint) {
  std::chrono::steady_clock::duration lasted{};
  {
    const std::lock_guard lock(mutex_);
    if (stalled_ == 0 || --stalled_ > 0) return;
    lasted = std::chrono::steady_clock::now() - since_;
  }
  core::log_info("redis answering again",
                 {{"endpoint", endpoint},
                  {"afterMs", static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(lasted).count())}});
}

}  // namespace bakewind::redis
