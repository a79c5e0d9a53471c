#pragma once
// Internal state shared by server.cpp (acceptor, shutdown) and
// connection.cpp (one coroutine per connection). Beast lives here only.

#include "http/dispatcher.hpp"
#include "http/server.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <list>

namespace bakewind::http::detail {

/// A live connection as its loop's registry sees it.
struct connection_entry {
  boost::beast::tcp_stream* stream = nullptr;
  boost::asio::cancellation_signal* cancel = nullptr;  ///< ends whatever the connection awaits
  ws_channel* websocket = nullptr;                     ///< set while upgraded: shutdown closes it with 1001
  bool idle = false;                                   ///< waiting for the first byte of a next request
};

/// Everything one event loop owns. Touched only from that loop's thread.
struct loop_state {
  loop_state(boost::asio::io_context& context, const router& r, const cors_policy& cors, request_metrics& metrics,
             core::access_log access_log)
      : io(context), routes(r), dispatch(r, cors, &metrics, access_log) {}

  boost::asio::io_context& io;
  const router& routes;
  dispatcher dispatch;
  std::list<connection_entry> connections;
};

/// What connections share. Held by shared_ptr from every connection's
/// coroutine: a frame destroyed late (when its io_context is torn down) must
/// still find it alive.
struct server_state {
  server_options options;
  cors_policy cors;
  request_metrics metrics;
  std::vector<std::unique_ptr<loop_state>> loops;
  std::size_t next_loop = 0;  ///< touched by the accept loop only
  bool at_limit = false;      ///< max_connections reached (accept loop only): logged once per episode
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};

  explicit server_state(server_options o) : options(std::move(o)), cors(options.cors_origins) {}
};

/// Serves one accepted connection on `loop` until it closes. Never throws.
/// `cancel` is bound to the coroutine and outlives it.
boost::asio::awaitable<void> serve_connection(std::shared_ptr<server_state> server, loop_state& loop,
                                              boost::asio::ip::tcp::socket socket,
                                              boost::asio::cancellation_signal* cancel);

}  // namespace bakewind::http::detail
