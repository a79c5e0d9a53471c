#include "redis/mirror.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/tasks.hpp"

#include <boost/asio/post.hpp>

namespace bakewind::redis {

namespace asio = boost::asio;

mirror::mirror(mirror_spec spec, server_history& servers) : spec_(std::move(spec)), mark_(servers) {
  // Told of a new server by the connection that reached it, not by polling:
  // the refill starts before the next request has to fall back.
  servers.on_change([this] { start_refill(); });
}

void mirror::refill_with(asio::any_io_executor ex, service& redis, std::function<asio::awaitable<void>()> fill) {
  home_ = std::move(ex);
  redis_ = &redis;
  fill_ = std::move(fill);
}

bool mirror::trusted(bool marker_seen) {
  // Read after the reply: the connection that brought it has counted its
  // server already, so a new server is never vouched for.
  // While a write of ours is still on its way the data is whole but not
  // current: no refill, the record answers until it lands.
  if (marker_seen && mark_.current()) return unsynced_.load(std::memory_order_acquire) == 0;
  start_refill();
  return false;
}

asio::awaitable<void> mirror::check() {
  if (redis_ == nullptr) co_return;
  bool needed = false;
  try {
    // The marker first: its round trip also settles which server we reach.
    needed = co_await redis_->marker_missing(spec_.marker);
  } catch (const std::exception&) {
    co_return;  // Redis cannot answer: nothing to refill now
  }
  if (needed || !mark_.current()) start_refill();
}

void mirror::answered_by(bool redis, std::string_view why) {
  if (redis) {
    if (fallback_.end()) core::log_info(spec_.readers + " answered by redis again");
  } else if (fallback_.begin()) {
    core::log_warn(spec_.readers + " fall back to postgres", {{"reason", why}, {"fallback", spec_.fallback}});
  }
}

std::shared_ptr<void> mirror::unsynced_write() {
  unsynced_.fetch_add(1, std::memory_order_acq_rel);
  return std::shared_ptr<void>(nullptr, [this](void*) { unsynced_.fetch_sub(1, std::memory_order_acq_rel); });
}

void mirror::start_refill() {
  if (redis_ == nullptr) return;
  // From any loop's thread: the refill itself runs on its home loop.
  asio::post(home_, [this] {
    if (!mark_.begin()) return;
    core::spawn_logged(home_, refill_until_current(mark_, [this] { return refill(); }), spec_.name + " refill failed",
                       [this] { mark_.ended(); });
  });
}

asio::awaitable<void> mirror::refill() {
  // A token of this refill's own, which the marker is then set beside: a
  // node that loses its data while the refill copies loses the token too.
  const std::string token = core::random_uuid_v7(std::chrono::system_clock::now());
  co_await redis_->begin_refill(spec_.marker, token);
  co_await fill_();
  // Older builds' markers go: a build rolled back to would otherwise trust
  // keys that missed every change made since (it refills instead). Before
  // the marker, so that whoever sees the marker sees them gone.
  for (const auto& retired : spec_.retired_markers) co_await redis_->drop_marker(retired);
  // Last, once everything it vouches for is in: every slot's marker.
  const bool sealed =
      co_await redis_->seal_refill(spec_.marker, token, core::iso8601_ms(std::chrono::system_clock::now()));
  if (!sealed) throw std::runtime_error("redis lost data during the refill; the next check refills again");
}

}  // namespace bakewind::redis
