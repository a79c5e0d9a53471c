// redis::cluster's commands: routing by slot, MOVED / ASK, retries within
// the deadline. Callback-driven on purpose: a command may pass through
// several node clients and timers, and whichever of "reply" and "deadline"
// comes first answers the caller; the other finds the handler gone.

#include "core/log.hpp"
#include "redis/detail/cluster_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bakewind::redis {

namespace asio = boost::asio;

namespace detail {

namespace {

const std::string& asking_command() {
  static const std::string encoded = [] {
    std::string out;
    append_command(out, {"ASKING"});
    return out;
  }();
  return encoded;
}

}  // namespace

void cluster_state::start(const request_ptr& r) {
  if (!started && !closing) {
    started = true;
    boost::asio::co_spawn(executor, maintain(), boost::asio::detached);
  }
  attempt(r);
}

void cluster_state::attempt(const request_ptr& r) {
  if (!r->handler) return;
  if (closing) {
    finish(r, make_error_code(error::closed), {});
    return;
  }
  if (!have_map) {
    // The first command of all: it waits (within its deadline) for the map.
    parked.push_back(r);
    guard_deadline(r);
    request_refresh();
    return;
  }
  const int master = r->slot == any_slot ? any_master() : map.owner(static_cast<std::uint16_t>(r->slot));
  if (master < 0) {
    // No master serves the slot (a failover under way): ask again shortly.
    request_refresh();
    retry_later(r);
    return;
  }
  send_via(static_cast<std::size_t>(master), r);
}

int cluster_state::any_master() const noexcept {
  // A connected one when there is one: keyless commands (PING, PUBLISH,
  // INFO) should not wait on a master that is down.
  for (std::size_t i = 0; i < master_clients.size(); ++i) {
    if (master_clients[i]->stats().connected.load(std::memory_order_relaxed)) return static_cast<int>(i);
  }
  return master_clients.empty() ? -1 : 0;
}

void cluster_state::send_via(std::size_t master, const request_ptr& r) {
  auto self = shared_from_this();
  const node_address& node = map.masters()[master];
  master_clients[master]->async_send(r->payload, r->policy, r->deadline,
                                     [self, r, from = node](boost::system::error_code ec, reply value) mutable {
                                       self->on_reply(r, from, ec, std::move(value));
                                     });
}

void cluster_state::send_to_node(const node_address& node, const request_ptr& r, bool asking) {
  client& c = client_for(node);
  auto self = shared_from_this();
  // Both enqueued before anything else can run on this loop: they leave in
  // this order on one connection, and ASKING applies to the next command only.
  if (asking) c.async_send(asking_command(), retry::never, [](boost::system::error_code, reply) {});
  c.async_send(r->payload, r->policy, r->deadline, [self, r, from = node](boost::system::error_code ec, reply value) mutable {
    self->on_reply(r, from, ec, std::move(value));
  });
}

void cluster_state::on_reply(const request_ptr& r, const node_address& from, boost::system::error_code ec,
                             reply value) {
  if (!r->handler) return;  // answered already (its deadline passed)
  if (closing) {
    finish(r, ec, std::move(value));
    return;
  }
  if (ec) {
    // retries_exhausted: the node could not be reached, so the command was
    // never written and may go anywhere. connection_lost (written, maybe
    // run, not idempotent), timeout and not_answering (the node is stalled:
    // the caller's budget goes to the record instead) are final, as with
    // one node. Either way the map may be stale: a replica may be taking over.
    request_refresh();
    if (ec == error::retries_exhausted) {
      retry_later(r);
      return;
    }
    finish(r, ec, {});
    return;
  }
  if (value.is_error() && follow(r, value, from)) return;
  finish(r, {}, std::move(value));
}

bool cluster_state::follow(const request_ptr& r, const reply& value, const node_address& from) {
  const auto code = value.error_code();
  if (code == "MOVED" || code == "ASK") {
    const auto to = parse_redirect(value.text, from);
    if (!to || r->redirects >= settings.max_redirects) return false;  // the caller gets the error reply
    ++r->redirects;
    guard_deadline(r);
    if (to->type == redirect::kind::moved) {
      // The slot lives elsewhere for good: fix it now, check the rest of the map in the background.
      figures.moved.fetch_add(1, std::memory_order_relaxed);
      map.assign(to->slot, to->to);
      index_masters();
      request_refresh();
      core::log_debug("redis cluster MOVED", {{"slot", to->slot}, {"to", to->to.text()}});
      send_to_node(to->to, r, false);
    } else {
      figures.asked.fetch_add(1, std::memory_order_relaxed);
      send_to_node(to->to, r, true);
    }
    return true;
  }
  if (code == "TRYAGAIN" || code == "CLUSTERDOWN") {
    // Not run: a multi-key command during a slot migration, or a cluster
    // without a quorum for a moment. Again after a pause, within the deadline.
    if (code == "CLUSTERDOWN") request_refresh();
    retry_later(r);
    return true;
  }
  return false;
}

void cluster_state::retry_later(const request_ptr& r) {
  ++r->retries;
  figures.retried.fetch_add(1, std::memory_order_relaxed);
  const auto now = cluster_clock::now();
  auto delay = std::min(settings.retry_delay * r->retries, settings.max_retry_delay);
  if (now + delay >= r->deadline) {
    // No time left for another try: unavailable, like a node that never answered.
    ++own_errors;
    finish(r, make_error_code(error::timeout), {});
    return;
  }
  guard_deadline(r);
  if (!r->pause) r->pause.emplace(executor);
  r->pause->expires_after(delay);
  r->pause->async_wait([self = shared_from_this(), r](boost::system::error_code ec) {
    if (!ec) self->attempt(r);
  });
}

void cluster_state::guard_deadline(const request_ptr& r) {
  if (r->guard) return;
  r->guard.emplace(executor, r->deadline);
  r->guard->async_wait([self = shared_from_this(), r](boost::system::error_code ec) {
    if (ec || !r->handler) return;
    ++self->own_errors;
    self->finish(r, make_error_code(error::timeout), {});
  });
}

void cluster_state::finish(const request_ptr& r, boost::system::error_code ec, reply value) {
  if (!r->handler) return;
  auto handler = std::move(*r->handler);
  r->handler.reset();
  // The timers hold the request; cancelling them lets it go.
  if (r->guard) r->guard->cancel();
  if (r->pause) r->pause->cancel();
  if (!ec) {
    counters.commands.fetch_add(1, std::memory_order_relaxed);
    counters.observe_latency(r->command, cluster_clock::now() - r->started);
  }
  // Posted, never run inline: finish() may run inside async_send's initiation.
  asio::post(executor,
             [h = std::move(handler), ec, v = std::move(value)]() mutable { std::move(h)(ec, std::move(v)); });
}

}  // namespace detail

cluster::cluster(asio::any_io_executor ex, options node_options, cluster_options c)
    : state_(std::make_shared<detail::cluster_state>(ex, std::move(node_options), std::move(c))) {}

cluster::~cluster() {
  state_->shut_down();
}

void cluster::async_send(std::string encoded, retry policy, int slot, time_point deadline,
                         asio::any_completion_handler<completion> handler) {
  auto r = std::make_shared<detail::cluster_request>();
  r->command = static_cast<std::uint8_t>(command_slot(encoded));
  r->payload = std::move(encoded);
  r->policy = policy;
  r->slot = slot;
  r->started = detail::cluster_clock::now();
  r->deadline = std::min(r->started + state_->node_options.command_timeout, deadline);
  r->handler.emplace(std::move(handler));
  state_->start(r);
}

asio::awaitable<reply> cluster::send(std::string encoded, retry policy, int slot, time_point deadline) {
  auto initiate = [this](auto handler, std::string e, retry p, int s, time_point d) {
    async_send(std::move(e), p, s, d, std::move(handler));
  };
  const auto token = asio::as_tuple(asio::use_awaitable);
  auto [ec, r] = co_await asio::async_initiate<decltype(token), completion>(initiate, token, std::move(encoded),
                                                                            policy, slot, deadline);
  if (ec) throw core::unavailable_error("redis", "cluster: " + ec.message());
  co_return r;
}

asio::awaitable<std::vector<std::string>> cluster::masters() {
  if (!state_->have_map) {
    std::string ping;
    append_command(ping, {"PING"});
    co_await send(std::move(ping), retry::idempotent, any_slot, client::no_deadline);  // waits for the first map, or throws
  }
  std::vector<std::string> names;
  for (const auto& m : state_->map.masters()) names.push_back(m.text());
  co_return names;
}

asio::awaitable<reply> cluster::send_to(std::string node, std::string encoded, retry policy) {
  auto& s = *state_;
  client* target = nullptr;
  for (std::size_t i = 0; i < s.map.masters().size(); ++i) {
    if (s.map.masters()[i].text() == node) target = s.master_clients[i];
  }
  if (target == nullptr) throw core::unavailable_error("redis", "cluster: " + node + " is no longer a master");
  reply r = co_await target->send(std::move(encoded), policy);
  co_return r;
}

const redis::stats& cluster::stats() const noexcept {
  return state_->counters;
}

const slot_map& cluster::map() const noexcept {
  return state_->map;
}

void cluster::refresh() {
  state_->request_refresh();
}

const cluster_figures& cluster::figures() const noexcept {
  return state_->figures;
}

}  // namespace bakewind::redis
