#pragma once
// Internal state shared by server.cpp (acceptor, shutdown) and
// connection.cpp (one coroutine per connection). Beast lives here only.

#include "http/dispatcher.hpp"
#include "http/server.hpp"

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <list>
#include <memory>

namespace bakewind::http::detail {

/// A connection's socket. Bound to its loop's io_context: a pointer-sized
/// executor in every socket and pending operation, where any_io_executor
/// would take 56 bytes each.
using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

/// The loop's timers. Bound to its io_context, like socket_type.
using timer_type = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                     boost::asio::wait_traits<std::chrono::steady_clock>,
                                                     boost::asio::io_context::executor_type>;

class ws_connection;

/// The timer that ticks a loop's WebSockets (ws_connection.cpp), once a
/// second while the loop has any: no timer of their own. Owned by the
/// server, not by the shared state: an I/O object must be destroyed before
/// its io_context, and the shared state may live on into its teardown.
struct ws_ticker {
  explicit ws_ticker(boost::asio::io_context& io) : timer(io.get_executor()) {}
  timer_type timer;
  bool ticking = false;  ///< a tick is pending
};

/// A live connection as its loop's registry sees it.
struct connection_entry {
  socket_type* socket = nullptr;                       ///< closed to end the connection
  boost::asio::cancellation_signal* cancel = nullptr;  ///< ends whatever the connection awaits (none once upgraded)
  ws_connection* websocket = nullptr;  ///< set while upgraded: shutdown closes it with 1001, the ticker ticks it
  bool idle = false;                   ///< waiting for the first byte of a next request
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
  /// Where the loop's connections read into, one at a time and without
  /// waiting, so that a connection holds no read buffer of its own: only the
  /// bytes of a request not complete yet (connection.cpp). Left
  /// uninitialized: its pages cost nothing until a read needs them.
  std::array<char, 16 * 1024> scratch;
  std::weak_ptr<ws_ticker> ticker;  ///< expired once the server is gone
  std::size_t websockets = 0;       ///< open ones, which the ticker ticks
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

/// A connection's entry in its loop's registry and its place in
/// server_state::open (counted by the acceptor), both given up when this is
/// destroyed. Moves to the WebSocket that takes a connection over. Keeps the
/// server state alive, since it may be destroyed late.
class registration {
 public:
  registration(std::shared_ptr<server_state> server, loop_state& loop, connection_entry entry);
  registration(registration&& other) noexcept;
  registration& operator=(registration&&) = delete;
  ~registration();

  connection_entry& entry() noexcept { return *entry_; }
  loop_state& loop() const noexcept { return *loop_; }
  const std::shared_ptr<server_state>& server() const noexcept { return server_; }

 private:
  std::shared_ptr<server_state> server_;  ///< null once moved from
  loop_state* loop_;
  std::list<connection_entry>::iterator entry_;
};

/// Serves one accepted connection on `loop` until it closes, or hands it to
/// a WebSocket that serves it from then on. Never throws. `cancel` is bound
/// to the coroutine and outlives it.
boost::asio::awaitable<void> serve_connection(std::shared_ptr<server_state> server, loop_state& loop,
                                              socket_type socket, boost::asio::cancellation_signal* cancel);

}  // namespace bakewind::http::detail
