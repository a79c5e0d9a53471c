#include "app/app.hpp"

#include "app/event_loop.hpp"
#include "app/telemetry.hpp"
#include "app/web_apps.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "core/tasks.hpp"
#include "http/server.hpp"
#include "app/redis_setup.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>

#include <thread>

namespace bakewind::app {

namespace asio = boost::asio;

namespace {

// Every connection is a descriptor, and the soft limit is often 1024: take
// the hard limit, and say so when even that is short of MAX_CONNECTIONS and
// what Redis, PostgreSQL and the files need besides.
void raise_descriptor_limit(int max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  const auto needed = static_cast<rlim_t>(max_connections) + 256;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    core::log_warn("descriptor limit below MAX_CONNECTIONS: raise it (ulimit -n) or lower MAX_CONNECTIONS",
                   {{"limit", static_cast<std::uint64_t>(limit.rlim_cur)}, {"maxConnections", max_connections}});
  }
}

http::server_options server_options_from(const core::config& cfg) {
  http::server_options o;
  o.host = cfg.host;
  o.port = cfg.port;
  o.request_timeout = cfg.request_timeout;
  o.idle_timeout = cfg.idle_timeout;
  o.max_connections = static_cast<std::size_t>(cfg.max_connections);
  o.ws_message_rate = cfg.ws_message_rate;
  o.request_rate = cfg.connection_request_rate;
  o.access_log = cfg.access_log;
  o.cors_origins = cfg.cors_origins;
  return o;
}

}  // namespace

struct application::impl {
  explicit impl(core::config c) : shared(std::move(c)), cfg(shared.cfg) {
    const std::size_t per_loop = std::max<std::size_t>(1, (cfg.pg_pool_size + cfg.threads - 1) / cfg.threads);
    std::vector<http::loop_binding> bindings;
    for (unsigned i = 0; i < cfg.threads; ++i) {
      loops.push_back(std::make_unique<event_loop>(shared, per_loop));
      bindings.push_back({loops.back()->io, loops.back()->routes});
      shared.loops.push_back(loops.back().get());
      shared.redis_connections.push_back(&loops.back()->redis_link->stats());
    }
    // The first loop refills what Redis holds for the record, whichever loop
    // found it missing.
    auto& home = *loops.front();
    shared.revocations_in_redis.refill_with(home.io.get_executor(), home.redis,
                                            [&home] { return home.revocation.refill(); });
    shared.locks_in_redis.refill_with(home.io.get_executor(), home.redis, [&home] { return home.locks.refill(); });
    server = std::make_unique<http::server>(server_options_from(cfg), std::move(bindings));
    std::vector<asio::io_context*> ios;
    for (auto& loop : loops) ios.push_back(&loop->io);
    web = std::make_unique<web_apps>(cfg, ios);
  }

  // Drains the server, then each loop QUITs Redis, closes its pool and stops.
  asio::awaitable<void> shutdown() {
    core::log_info("shutting down", {{"graceMs", cfg.shutdown_grace.count()}});
    co_await server->shutdown(cfg.shutdown_grace);
    co_await web->shutdown(cfg.shutdown_grace);
    if (events) events->close();
    for (auto& loop : loops) asio::co_spawn(loop->io, loop->close(), asio::detached);
  }

  asio::awaitable<void> watch_signals(asio::signal_set& signals) {
    auto [ec, signo] = co_await signals.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    core::log_info("signal received", {{"signal", signo}});
    // A second signal while draining means "now".
    signals.async_wait([this](const boost::system::error_code& e, int) {
      if (e) return;
      core::log_warn("second signal: stopping without draining");
      for (auto& loop : loops) loop->io.stop();
    });
    co_await shutdown();
  }

  asio::awaitable<void> sweep_locks() { co_await loops.front()->locks.sweep_expired(); }

  // Both "Redis holds everything" markers are checked every few seconds, so
  // that a fresh or emptied Redis is refilled before PostgreSQL may be needed.
  // (A connection that reached another server starts them at once: the
  // mirrors listen to redis_servers.)
  asio::awaitable<void> check_markers() {
    co_await shared.revocations_in_redis.check();
    co_await shared.locks_in_redis.check();
  }

  asio::awaitable<void> count_business() {
    auto& loop = *loops.front();
    co_await shared.counts.refresh({loop.locks, loop.revocation, loop.redis});
  }

  // Every loop connects to Redis now rather than at its first request, so
  // that /health reports every connection from the start.
  void connect_redis() {
    for (auto& loop : loops) {
      core::spawn_logged(loop->io.get_executor(), loop->redis.ping(), "redis not reachable at start-up");
    }
  }

  // Every ten minutes, one loop deletes what has expired anyway.
  asio::awaitable<void> purge_tokens() {
    auto& loop = *loops.front();
    const long long revoked = co_await loop.revocation.purge_expired();
    const long long refresh = co_await loop.tokens.purge_expired();
    core::log_info("expired tokens purged", {{"revoked", revoked}, {"refresh", refresh}});
  }

  // Every instance hears every event through one Redis subscription and
  // hands it to each loop's WebSocket clients of that bakery.
  void listen_for_events() {
    auto on_message = [this](std::string_view, std::string_view message) {
      std::string bakery;
      std::string event;
      if (!locks::parse_published(message, bakery, event)) return;
      for (auto& loop : loops) {
        asio::post(loop->io, [l = loop.get(), bakery, event] {
          if (bakery == notice_channel_id) {
            l->clients.apply_notice(event);
          } else {
            l->clients.deliver(bakery, event);
          }
        });
      }
    };
    // In a cluster, classic pub/sub is broadcast to every node: one
    // subscription on any node hears all (README "Redis Cluster").
    const auto* cluster = dynamic_cast<const redis::cluster*>(loops.front()->redis_link.get());
    events = std::make_unique<event_subscription>(loops.front()->io.get_executor(), shared.redis_options,
                                                  shared.redis_cluster, on_message, cluster);
    events->subscribe(std::string(locks::events_channel));
    shared.redis_connections.push_back(&events->stats());
  }

  process_services shared;
  const core::config& cfg;
  std::vector<std::unique_ptr<event_loop>> loops;
  std::unique_ptr<http::server> server;
  std::unique_ptr<web_apps> web;  ///< the website and the dashboard (static files)
  std::unique_ptr<event_subscription> events;
};

application::application(core::config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}

application::~application() = default;

namespace {

// A step the first loop runs every `period`, in the background.
struct background_job {
  std::chrono::milliseconds period;
  std::function<asio::awaitable<void>()> step;
  std::string failure;                             ///< what a failed run is logged as
  core::log_level level = core::log_level::debug;  ///< how loud
};

// The start-up lines: the stores (passwords masked: the URLs hold them), the
// ports, and the addresses the web apps were told.
void log_started(const core::config& cfg, const http::server& server, const web_apps& web) {
  core::log_info("stores",
                 {{"redis", core::redact_url(cfg.redis_url)}, {"postgres", core::redact_url(cfg.database_url)}});
  core::log_info("listening", {{"host", cfg.host},
                               {"port", server.port()},
                               {"sitePort", web.site_port()},
                               {"adminPort", web.admin_port()},
                               {"threads", cfg.threads}});
  core::log_info("web apps",
                 {{"site", web.config().site_url}, {"admin", web.config().admin_url}, {"api", web.config().api_url}});
}

// Runs the first loop on this thread and every other on a thread of its own
// until the first is stopped (shutdown), then stops the others and joins them.
void run_loops(const std::vector<std::unique_ptr<event_loop>>& loops) {
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (const auto& loop : loops) guards.push_back(asio::make_work_guard(loop->io));
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < loops.size(); ++i) {
    threads.emplace_back([&loop = *loops[i]] { loop.io.run(); });
  }
  loops.front()->io.run();
  for (const auto& loop : loops) loop->io.stop();
  for (auto& t : threads) t.join();
}

}  // namespace

int application::serve() {
  auto& s = *impl_;
  raise_descriptor_limit(s.cfg.max_connections);
  s.server->listen();
  s.web->listen();
  s.server->start();
  s.web->start();
  auto& first = s.loops.front()->io;
  asio::signal_set signals(first, SIGINT, SIGTERM);
  asio::co_spawn(first, s.watch_signals(signals), asio::detached);
  s.listen_for_events();
  s.connect_redis();
  register_metrics(s.shared, *s.server);
  // The Redis markers and the business counts of /health and /metrics are
  // checked now, then kept fresh with the rest of the background work.
  asio::co_spawn(first, s.check_markers(), asio::detached);
  asio::co_spawn(first, s.count_business(), asio::detached);
  using std::chrono::milliseconds, std::chrono::seconds, std::chrono::minutes;
  const background_job jobs[] = {
      {minutes(10), [&s] { return s.purge_tokens(); }, "purge of expired tokens failed", core::log_level::warn},
      // Twice a second, expired locks are deleted and announced (API.md: within
      // 2 s of expiresAt). Every instance sweeps; each row goes to one of them.
      {milliseconds(500), [&s] { return s.sweep_locks(); }, "lock sweep failed"},
      {seconds(5), [&s] { return s.check_markers(); }, "redis marker check failed"},
      {seconds(15), [&s] { return s.count_business(); }, "business count failed"},
  };
  for (const auto& job : jobs) {
    asio::co_spawn(first, core::every(job.period, job.step, job.failure, job.level), asio::detached);
  }
  log_started(s.cfg, *s.server, *s.web);
  run_loops(s.loops);
  core::log_info("stopped");
  // Every line up to "stopped" is out before the process goes (exit also
  // flushes, but a supervisor reading the pipe sees the end here).
  core::flush_logs();
  return 0;
}

}  // namespace bakewind::app
