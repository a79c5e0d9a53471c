#include "redis/server_identity.hpp"

#include <string_view>

namespace bakewind::redis {

bool server_history::note(std::string& last_run_id, const std::string& run_id) {
  // An unknown id is never "the same server": without it we cannot tell.
  const bool same = !run_id.empty() && run_id == last_run_id;
  last_run_id = run_id;
  if (same) return false;
  changes_.fetch_add(1, std::memory_order_acq_rel);
  for (const auto& l : listeners_) l();
  return true;
}

boost::asio::awaitable<void> refill_until_current(refill_mark& mark, std::function<boost::asio::awaitable<void>()> fill) {
  for (int run = 0; run < 3; ++run) {
    const auto at = mark.now();
    co_await fill();
    mark.completed(at);
    if (mark.now() == at) co_return;
  }
}

namespace detail {

std::string run_id_of(const reply& info) {
  if (info.is_error() || info.is_nil()) return {};
  constexpr std::string_view field = "run_id:";
  const std::string_view text = info.text;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find('\n', at);
    auto line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, field.size()) == field) return std::string(line.substr(field.size()));
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return {};
}

}  // namespace detail
}  // namespace bakewind::redis
