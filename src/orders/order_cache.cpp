#include "orders/order_cache.hpp"

#include "core/log.hpp"
#include "redis/keep_trying.hpp"
#include "redis/script.hpp"


#include <exception>
#include <vector>

namespace bakewind::orders {

namespace asio = boost::asio;

namespace {

constexpr std::string_view mark = "~";

std::string key_of(std::string_view id) { return std::string("order_cache:").append(id); }

// KEYS[1] the copy's key; ARGV[1] run_id, ARGV[2] the copy ("<run_id>|<json>"),
// ARGV[3] its lifetime in ms. A mark, or a copy already made on this server
// (no write since, or it would be a mark), stays; anything else (nothing, a
// copy another server made) gives way.
const redis::script& keep_script() {
  static const redis::script s(R"(local cur = redis.call('GET', KEYS[1])
if cur then
  if string.sub(cur, 1, 1) == '~' then return 0 end
  if string.sub(cur, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1)");
  return s;
}

std::string millis(std::chrono::milliseconds d) { return std::to_string(d.count()); }

}  // namespace

order_cache::order_cache(redis::service& redis, std::chrono::milliseconds statement_timeout,
                         std::chrono::seconds copy_ttl, const redis::stall_episodes& stalls)
    : redis_(redis),
      // A writer's statement ends within one timeout of its first mark, and
      // a reader copies within one timeout of starting its read: a mark
      // that outlives both keeps every copy of an older row out.
      mark_ttl_(2 * statement_timeout + std::chrono::seconds(1)),
      read_window_(statement_timeout),
      copy_ttl_(copy_ttl),
      enabled_(copy_ttl.count() > 0 && !redis.clustered()),
      stalls_(stalls) {}

bool order_cache::copies_trusted() {
  const std::uint64_t troubles =
      stalls_.count() + redis_.link().stats().reconnects.load(std::memory_order_relaxed);
  const auto now = std::chrono::steady_clock::now();
  if (troubles != troubles_seen_) {
    troubles_seen_ = troubles;
    trusted_from_ = now + copy_ttl_;
    core::log_info("order cache not read until copies made before redis failed have expired",
                   {{"forS", static_cast<long long>(copy_ttl_.count())}});
  }
  return now >= trusted_from_;
}

asio::awaitable<std::optional<order>> order_cache::find(const std::string& id, const std::string& bakery_id,
                                                        redis::budget& budget) {
  if (!enabled_ || !copies_trusted()) co_return std::nullopt;
  std::optional<std::string> stored;
  try {
    stored = co_await redis_.get(key_of(id), &budget);
  } catch (const std::exception&) {
    co_return std::nullopt;  // the record answers
  }
  if (!stored || stored->starts_with(mark)) co_return std::nullopt;
  // Read after the reply: the connection that brought it has named its server.
  const std::string_view server = redis_.server_run_id();
  const std::string_view text = *stored;
  const std::size_t bar = text.find('|');
  if (server.empty() || bar == std::string_view::npos || text.substr(0, bar) != server) co_return std::nullopt;
  auto o = order_from_json(text.substr(bar + 1));
  if (!o || o->id != id || o->bakery_id != bakery_id) co_return std::nullopt;
  co_return o;
}

read_ticket order_cache::before_read() const {
  if (!enabled_) return read_ticket{};
  return read_ticket{std::string(redis_.server_run_id()), std::chrono::steady_clock::now()};
}

asio::awaitable<void> order_cache::keep(const order& o, const read_ticket& ticket, redis::budget& budget) {
  if (ticket.run_id.empty() || !budget.open()) co_return;
  // Past the window a writer's mark may have expired since our read began.
  if (std::chrono::steady_clock::now() - ticket.started >= read_window_) co_return;
  std::string copy = ticket.run_id;
  copy += '|';
  append_json_without_lock(copy, o);  // the lock is read live, never copied
  const std::vector<std::string> keys{key_of(o.id)};
  const std::vector<std::string> args{ticket.run_id, std::move(copy),
                                      millis(std::chrono::duration_cast<std::chrono::milliseconds>(copy_ttl_))};
  try {
    co_await redis_.eval(keep_script(), keys, args, redis::retry::never, &budget);
  } catch (const std::exception&) {
    // Not kept: the next read asks the record again.
  }
}

asio::awaitable<void> order_cache::mark_changing(const std::string& id, redis::budget& budget) {
  // Marked even where this instance keeps no copies itself (switched off,
  // unknown run_id): other instances may. In a cluster nobody keeps any.
  if (redis_.clustered()) co_return;
  std::vector<std::string> set{"SET", key_of(id), std::string(mark), "PX", millis(mark_ttl_)};
  // Until Redis takes the mark, a copy made before the change may be read
  // elsewhere; once copy_ttl has passed, none made before is left anyway.
  const auto until = std::chrono::steady_clock::now() + copy_ttl_ + mark_ttl_;
  const auto failure = co_await redis::send_or_keep_trying(redis_, std::move(set), until, &budget);
  if (failure && mark_warnings_.allow()) {
    core::log_warn("order cache marks not yet in redis, retrying in the background (logged once per 10 s)",
                   {{"orderId", id}, {"error", *failure}});
  }
}

}  // namespace bakewind::orders
