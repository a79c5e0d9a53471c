#include "http/server.hpp"

#include "core/log.hpp"
#include "http/detail/server_state.hpp"
#include "http/detail/ws_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bakewind::http {

namespace asio = boost::asio;
using asio::ip::tcp;

struct server::impl {
  impl(server_options options, asio::io_context& first)
      : state(std::make_shared<detail::server_state>(std::move(options))), acceptor(first) {}

  std::shared_ptr<detail::server_state> state;
  tcp::acceptor acceptor;
  std::vector<std::shared_ptr<detail::ws_ticker>> tickers;  ///< one per loop; die with the server
};

namespace {

asio::awaitable<void> accept_loop(std::shared_ptr<detail::server_state> state, tcp::acceptor& acceptor) {
  auto& s = *state;
  asio::steady_timer backoff(acceptor.get_executor());
  while (acceptor.is_open()) {
    auto& loop = *s.loops[s.next_loop++ % s.loops.size()];
    auto [ec, socket] = co_await acceptor.async_accept(loop.io, asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || s.stopping) co_return;
    if (ec) {
      // Out of descriptors and the like: say so, breathe, go on.
      core::log_warn("accept failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (s.open.load() >= s.options.max_connections) {
      // Closed before it costs a coroutine: a flood of connections (or
      // slowloris) cannot take the process past its descriptors.
      boost::system::error_code ignored;
      socket.close(ignored);
      if (!s.at_limit) {
        s.at_limit = true;
        core::log_warn("connection limit reached: closing new connections",
                       {{"limit", static_cast<std::uint64_t>(s.options.max_connections)}});
      }
      continue;
    }
    if (s.at_limit) {
      s.at_limit = false;
      core::log_info("connection limit no longer reached", {{"open", s.open.load()}});
    }
    ++s.open;
    // Spawned from the connection's own loop, so that its cancellation slot is
    // only ever touched from that thread; the completion handler owns the signal.
    asio::post(loop.io, [state, &loop, socket = std::move(socket)]() mutable {
      auto cancel = std::make_shared<asio::cancellation_signal>();
      auto* signal = cancel.get();
      asio::co_spawn(loop.io, detail::serve_connection(state, loop, std::move(socket), signal),
                     asio::bind_cancellation_slot(signal->slot(), [cancel](const std::exception_ptr&) {}));
    });
  }
}

// Closes the idle connections on every loop; with `all`, also cancels what
// the busy ones await (a handler's timer or query), so that they end now.
void close_connections(detail::server_state& s, bool all) {
  for (auto& loop : s.loops) {
    asio::post(loop->io, [l = loop.get(), all] {
      // Cancelling can finish a connection at once and erase its own entry:
      // step past it before acting on it.
      for (auto it = l->connections.begin(); it != l->connections.end();) {
        auto& c = *it++;
        if (c.websocket != nullptr && !all) {
          c.websocket->close(close_code::going_away, "server shutting down");
          continue;
        }
        boost::system::error_code ignored;
        if (c.idle || all) c.socket->close(ignored);
        if (all && c.cancel != nullptr) c.cancel->emit(asio::cancellation_type::terminal);
      }
    });
  }
}

asio::awaitable<bool> wait_drained(detail::server_state& s, std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer tick(s.loops.front()->io);
  while (s.open.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return s.open.load() == 0;
}

}  // namespace

namespace detail {

registration::registration(std::shared_ptr<server_state> server, loop_state& loop, connection_entry entry)
    : server_(std::move(server)), loop_(&loop), entry_(loop.connections.insert(loop.connections.end(), entry)) {}

registration::registration(registration&& other) noexcept
    : server_(std::move(other.server_)), loop_(other.loop_), entry_(other.entry_) {}

registration::~registration() {
  if (!server_) return;  // moved to whoever serves the connection now
  loop_->connections.erase(entry_);
  --server_->open;
}

}  // namespace detail

server::server(server_options options, std::vector<loop_binding> loops) {
  if (loops.empty()) throw std::invalid_argument("server needs at least one event loop");
  impl_ = std::make_unique<impl>(std::move(options), loops.front().io);
  auto& s = *impl_->state;
  for (auto& l : loops) {
    for (const auto& [pattern, methods] : l.routes.table()) s.metrics.declare(pattern);
    s.loops.push_back(std::make_unique<detail::loop_state>(l.io, l.routes, s.cors, s.metrics, s.options.access_log));
    impl_->tickers.push_back(std::make_shared<detail::ws_ticker>(l.io));
    s.loops.back()->ticker = impl_->tickers.back();
  }
}

const request_metrics& server::metrics() const {
  return impl_->state->metrics;
}

server::~server() = default;

void server::listen() {
  const tcp::endpoint endpoint(asio::ip::make_address(impl_->state->options.host), impl_->state->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void server::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), accept_loop(impl_->state, impl_->acceptor), asio::detached);
}

std::size_t server::connections() const {
  return impl_->state->open.load();
}

asio::awaitable<void> server::shutdown(std::chrono::milliseconds grace) {
  auto state = impl_->state;  // keeps it alive across the waits
  auto& s = *state;
  s.stopping = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  close_connections(s, false);
  core::log_info("draining connections", {{"open", s.open.load()}, {"graceMs", grace.count()}});
  const bool drained = co_await wait_drained(s, std::chrono::steady_clock::now() + grace);
  if (!drained) {
    core::log_warn("grace period over, closing connections", {{"open", s.open.load()}});
    close_connections(s, true);
    co_await wait_drained(s, std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
}

}  // namespace bakewind::http
