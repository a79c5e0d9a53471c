// redis::cluster's map and nodes: reading CLUSTER SLOTS, one client per
// master, retiring the clients of nodes that stopped being masters, and the
// figures of /health and /metrics summed over every client.

#include "core/log.hpp"
#include "redis/detail/cluster_state.hpp"
#include "redis/transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace bakewind::redis::detail {

namespace asio = boost::asio;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto tick_period = std::chrono::milliseconds(250);

std::string names_of(const std::vector<node_address>& nodes) {
  std::vector<std::string> names;
  for (const auto& n : nodes) names.push_back(n.text());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace

cluster_state::cluster_state(asio::any_io_executor ex, options o, cluster_options c)
    : executor(ex), node_options(std::move(o)), settings(std::move(c)), tick(ex), spacing(ex) {
  if (settings.seeds.empty()) throw core::config_error("REDIS_CLUSTER_NODES", "names no node");
  make_tls_context(node_options);  // a bad TLS setup fails here, at start-up, not at the first command
}

client& cluster_state::client_for(const node_address& node) {
  auto key = node.text();
  auto it = clients.find(key);
  if (it == clients.end()) {
    options o = node_options;
    o.host = node.host;
    o.port = node.port;
    it = clients.emplace(std::move(key), std::make_unique<client>(executor, std::move(o))).first;
    // Connected now rather than by the first command routed to it, so that
    // /health shows every master from the start.
    std::string ping;
    append_command(ping, {"PING"});
    it->second->async_send(std::move(ping), retry::idempotent, [](boost::system::error_code, reply) {});
  }
  return *it->second;
}

void cluster_state::index_masters() {
  master_clients.clear();
  for (const auto& m : map.masters()) master_clients.push_back(&client_for(m));
}

void cluster_state::request_refresh() {
  if (closing) return;
  if (refreshing) {
    refresh_again = true;  // one more round when this one ends: it may have started before the news
    return;
  }
  refreshing = true;
  asio::co_spawn(executor, refresher(), asio::detached);
}

asio::awaitable<void> cluster_state::refresher() {
  auto self = shared_from_this();
  while (!closing) {
    refresh_again = false;
    co_await refresh_once();
    if (closing) break;
    last_refresh = cluster_clock::now();
    resume_parked();
    // Commands still waiting for a first map keep the refreshes going.
    if (!have_map && !parked.empty()) refresh_again = true;
    if (!refresh_again) break;
    // Spaced out: during a failover every failing command asks for one.
    spacing.expires_after(settings.refresh_spacing);
    co_await spacing.async_wait(use_tuple);
  }
  refreshing = false;
}

asio::awaitable<bool> cluster_state::refresh_once() {
  // Whoever is likeliest to answer first: connected masters, the other
  // nodes of the last map (a replica may have been promoted), the seeds.
  std::vector<node_address> candidates;
  auto add = [&](const node_address& n) {
    if (std::find(candidates.begin(), candidates.end(), n) == candidates.end()) candidates.push_back(n);
  };
  for (std::size_t i = 0; i < master_clients.size(); ++i) {
    if (master_clients[i]->stats().connected.load()) add(map.masters()[i]);
  }
  for (const auto& n : map.masters()) add(n);
  for (const auto& n : map.replicas()) add(n);
  for (const auto& n : settings.seeds) add(n);
  for (const auto& node : candidates) {
    if (closing) co_return false;
    std::string ask;
    append_command(ask, {"CLUSTER", "SLOTS"});
    client& target = client_to_ask(node);
    // `target` is not touched after this wait: a retired client may be gone by then.
    auto [ec, answer] = co_await target.async_send(std::move(ask), retry::idempotent, use_tuple);
    if (closing) co_return false;
    if (ec || answer.is_error()) {
      core::log_debug("redis cluster: CLUSTER SLOTS not answered",
                      {{"node", node.text()}, {"error", ec ? ec.message() : answer.text}});
      continue;
    }
    auto fresh = slot_map::from_cluster_slots(answer, node);
    if (!fresh || fresh->covered() == 0) continue;
    apply(std::move(*fresh));
    co_return true;
  }
  figures.failed_refreshes.fetch_add(1, std::memory_order_relaxed);
  if (!refresh_failing) {
    refresh_failing = true;
    core::log_warn("redis cluster: no node answered CLUSTER SLOTS", {{"asked", names_of(candidates)}});
  }
  co_return false;
}

client& cluster_state::client_to_ask(const node_address& node) {
  const auto name = node.text();
  if (auto it = clients.find(name); it != clients.end()) return *it->second;
  auto it = probes.find(name);
  if (it == probes.end()) {
    // A node we hold no connection to (a seed, a replica): one connect
    // attempt per question, then the next candidate. Kept until a map is
    // read, so that an outage logs once per node, not once per refresh.
    options o = node_options;
    o.host = node.host;
    o.port = node.port;
    o.max_retries_per_request = 0;
    o.servers = nullptr;  // asked for the map only: no data of ours
    o.stalls = nullptr;   // nor do requests wait on it
    it = probes.emplace(name, std::make_unique<client>(executor, std::move(o))).first;
  }
  return *it->second;
}

void cluster_state::apply(slot_map fresh) {
  const bool changed = !have_map || names_of(fresh.masters()) != names_of(map.masters());
  map = std::move(fresh);
  have_map = true;
  figures.refreshes.fetch_add(1, std::memory_order_relaxed);
  if (refresh_failing) core::log_info("redis cluster: slot map read again");
  refresh_failing = false;
  index_masters();
  // Nodes that are no longer masters keep their client a while: what is in
  // flight there ends (reply or deadline) before it is closed.
  const auto now = cluster_clock::now();
  for (auto it = clients.begin(); it != clients.end();) {
    const auto& masters = map.masters();
    const bool master =
        std::any_of(masters.begin(), masters.end(), [&](const node_address& n) { return n.text() == it->first; });
    if (master) {
      ++it;
    } else {
      retired.push_back({now, std::move(it->second)});
      it = clients.erase(it);
    }
  }
  // The probes served their turn; what they carry ends by its deadline first.
  for (auto& [name, probe] : probes) retired.push_back({now, std::move(probe)});
  probes.clear();
  if (changed) {
    core::log_info("redis cluster map",
                   {{"masters", names_of(map.masters())}, {"slotsServed", static_cast<std::uint64_t>(map.covered())}});
  }
}

void cluster_state::resume_parked() {
  if (!have_map) return;
  auto waiting = std::move(parked);
  parked.clear();
  for (auto& r : waiting) attempt(r);
}

asio::awaitable<void> cluster_state::maintain() {
  auto self = shared_from_this();
  last_refresh = cluster_clock::now();
  while (!closing) {
    tick.expires_after(tick_period);
    co_await tick.async_wait(use_tuple);
    if (closing) break;
    const auto now = cluster_clock::now();
    sync_stats();
    retire_idle(now);
    std::erase_if(parked, [](const request_ptr& r) { return !r->handler; });
    // A master whose connection is down may have been replaced: look now,
    // not only when a command to it fails (refreshes stay spaced out).
    const bool master_down = std::any_of(master_clients.begin(), master_clients.end(), [](const client* c) {
      return c->stats().connects.load() > 0 && !c->stats().connected.load();
    });
    if (master_down || now - last_refresh >= settings.refresh_period) request_refresh();
  }
}

void cluster_state::retire_idle(cluster_clock::time_point now) {
  const auto linger = 2 * node_options.command_timeout;
  for (auto it = retired.begin(); it != retired.end();) {
    if (now - it->since < linger) {
      ++it;
      continue;
    }
    const auto& s = it->link->stats();
    gone_connects += s.connects.load();
    gone_reconnects += s.reconnects.load();
    gone_errors += s.errors.load();
    gone_refused += s.refused.load();
    gone_stalls += s.not_answering_episodes.load();
    figures.retired.fetch_add(1, std::memory_order_relaxed);
    quitting.push_back(std::move(it->link));
    asio::co_spawn(executor, quit(quitting.back().get()), asio::detached);
    it = retired.erase(it);
  }
}

asio::awaitable<void> cluster_state::quit(client* c) {
  // `quitting` owns the client, not this coroutine: a coroutine owning it
  // would be held by that client's own queue while it waits for the QUIT
  // answer, a cycle nothing breaks when the loop stops first (the client,
  // its socket and this frame were leaked). shut_down drops `quitting`.
  auto self = shared_from_this();
  co_await c->close();
  std::erase_if(quitting, [c](const std::unique_ptr<client>& q) { return q.get() == c; });
}

void cluster_state::sync_stats() {
  std::uint64_t connects = gone_connects;
  std::uint64_t reconnects = gone_reconnects;
  std::uint64_t errors = gone_errors + own_errors;
  std::uint64_t queued = 0;
  std::uint64_t refused = gone_refused;
  std::uint64_t stalls = gone_stalls;
  bool not_answering = false;
  auto add = [&](const client& c) {
    const auto& s = c.stats();
    connects += s.connects.load();
    reconnects += s.reconnects.load();
    errors += s.errors.load();
    queued += s.queued.load();
    refused += s.refused.load();
    stalls += s.not_answering_episodes.load();
  };
  for (const auto& [name, c] : clients) add(*c);
  for (const auto& [name, c] : probes) add(*c);
  for (const auto& r : retired) add(*r.link);
  // Connected when every master is: a master down means some slots are not served.
  bool connected = have_map && !master_clients.empty();
  std::int64_t youngest = 0;
  for (const client* c : master_clients) {
    connected = connected && c->stats().connected.load();
    not_answering = not_answering || c->stats().not_answering.load();
    youngest = std::max(youngest, c->stats().connected_since_ms.load());
  }
  counters.connects.store(connects);
  counters.reconnects.store(reconnects);
  counters.errors.store(errors);
  counters.queued.store(queued);
  counters.refused.store(refused);
  counters.not_answering_episodes.store(stalls);
  counters.not_answering.store(not_answering);
  counters.connected.store(connected);
  counters.connected_since_ms.store(connected ? youngest : 0);
}

void cluster_state::shut_down() {
  closing = true;
  tick.cancel();
  spacing.cancel();
  auto waiting = std::move(parked);
  parked.clear();
  for (auto& r : waiting) finish(r, make_error_code(error::closed), {});
  master_clients.clear();
  // Their destructors fail what they still hold with error::closed.
  clients.clear();
  probes.clear();
  retired.clear();
  quitting.clear();
}

}  // namespace bakewind::redis::detail

namespace bakewind::redis {

boost::asio::awaitable<void> cluster::close() {
  auto s = state_;
  if (s->closing) co_return;
  s->closing = true;
  s->tick.cancel();
  s->spacing.cancel();
  std::vector<client*> all;
  for (auto& [name, c] : s->clients) all.push_back(c.get());
  for (auto& [name, c] : s->probes) all.push_back(c.get());
  for (auto& r : s->retired) all.push_back(r.link.get());
  // QUIT each in turn; nothing creates or drops a client once closing is set.
  for (client* c : all) co_await c->close();
  s->shut_down();
}

}  // namespace bakewind::redis
