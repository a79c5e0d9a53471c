#include "redis/cluster_subscriber.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "redis/transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace bakewind::redis {

namespace asio = boost::asio;

namespace {
constexpr auto watch_period = std::chrono::milliseconds(200);
}  // namespace

cluster_subscriber::cluster_subscriber(asio::any_io_executor ex, options node_options, std::vector<node_address> seeds,
                                       subscriber::handler on_message, node_source more_nodes,
                                       std::chrono::milliseconds switch_after)
    : executor_(ex),
      node_options_(std::move(node_options)),
      seeds_(std::move(seeds)),
      on_message_(std::move(on_message)),
      more_nodes_(std::move(more_nodes)),
      switch_after_(switch_after) {
  if (seeds_.empty()) throw core::config_error("REDIS_CLUSTER_NODES", "names no node");
  make_tls_context(node_options_);  // a bad TLS setup fails at start-up
}

cluster_subscriber::~cluster_subscriber() {
  close();
}

void cluster_subscriber::connect_to(const node_address& node) {
  node_ = node;
  options o = node_options_;
  o.host = node.host;
  o.port = node.port;
  // Through a member, not a copy: close() must silence every subscriber at once.
  current_ = std::make_unique<subscriber>(executor_, std::move(o), [this](std::string_view c, std::string_view m) {
    if (on_message_) on_message_(c, m);
  });
  for (const auto& c : channels_) current_->subscribe(c);
  last_up_ = std::chrono::steady_clock::now();
}

void cluster_subscriber::move_on() {
  // The seeds first (the operator's list), then whatever the cluster knows now.
  std::vector<node_address> candidates = seeds_;
  if (more_nodes_) {
    for (auto& n : more_nodes_()) {
      if (std::find(candidates.begin(), candidates.end(), n) == candidates.end()) candidates.push_back(std::move(n));
    }
  }
  const auto& s = current_->stats();
  gone_connects_ += s.connects.load();
  gone_reconnects_ += s.reconnects.load() + 1;  // moving to another node is a reconnect too
  gone_errors_ += s.errors.load();
  gone_messages_ += s.commands.load();
  current_->close();
  const node_address from = node_;
  connect_to(candidates[next_++ % candidates.size()]);
  core::log_warn("redis subscriber moves to another cluster node", {{"from", from.text()}, {"to", node_.text()}});
}

void cluster_subscriber::sync_stats() {
  const auto& s = current_->stats();
  stats_.connects.store(gone_connects_ + s.connects.load());
  stats_.reconnects.store(gone_reconnects_ + s.reconnects.load());
  stats_.errors.store(gone_errors_ + s.errors.load());
  stats_.commands.store(gone_messages_ + s.commands.load());
  stats_.connected.store(s.connected.load());
  stats_.connected_since_ms.store(s.connected_since_ms.load());
}

asio::awaitable<void> cluster_subscriber::watch(cluster_subscriber* self, std::shared_ptr<bool> alive) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  while (*alive) {
    tick.expires_after(watch_period);
    co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!*alive) break;  // closed or destroyed: `self` is not touched again
    const auto now = std::chrono::steady_clock::now();
    if (self->current_->stats().connected.load()) {
      self->last_up_ = now;
    } else if (now - self->last_up_ >= self->switch_after_) {
      self->move_on();
    }
    self->sync_stats();
  }
}

void cluster_subscriber::subscribe(std::string channel) {
  if (!*alive_ || !channels_.insert(channel).second) return;
  if (!started_) {
    started_ = true;
    next_ = 1;
    connect_to(seeds_.front());
    asio::co_spawn(executor_, watch(this, alive_), asio::detached);
    return;
  }
  current_->subscribe(std::move(channel));
}

bool cluster_subscriber::subscribed() const noexcept {
  return current_ && current_->subscribed();
}

void cluster_subscriber::close() noexcept {
  *alive_ = false;
  on_message_ = nullptr;
  if (current_) current_->close();
}

}  // namespace bakewind::redis
