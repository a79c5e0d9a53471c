#pragma once
// The inside of redis::client: queues, the connection, and the coroutines
// that move bytes (run: connect/reconnect; writer; reader; watchdog).

#include "redis/client.hpp"
#include "redis/detail/command_queue.hpp"
#include "redis/detail/sentinel_link.hpp"
#include "redis/transport.hpp"

#include <boost/asio/steady_timer.hpp>

#include <deque>

namespace bakewind::redis::detail {

/// "host:port" of the server `o` names, for logs.
inline std::string endpoint_of(const redis::options& o) { return o.host + ":" + std::to_string(o.port); }

struct client_state : std::enable_shared_from_this<client_state> {
  client_state(boost::asio::any_io_executor ex, redis::options o);

  void enqueue(request r);
  void complete(request& r, boost::system::error_code ec, reply value);
  void fail_all(std::deque<request>& queue, boost::system::error_code ec);
  /// Closes for good: no reconnect, every waiting caller gets error::closed.
  void shut_down();

  boost::asio::awaitable<void> run();
  /// One connect: to the master the Sentinels name, or to opts' host.
  boost::asio::awaitable<std::string> connect();
  /// After a connect: the server's run_id (INFO server), counted in
  /// server_changes() when it is not the previous one. "" or why it failed.
  boost::asio::awaitable<std::string> identify();
  /// The wait before reconnect attempt `attempt`; none when `hurry`.
  boost::asio::awaitable<void> backoff(int attempt);
  /// The Sentinels named `master`: drop a connection elsewhere.
  void on_master_announced(const server_address& master);
  boost::asio::awaitable<void> serve_connection();
  boost::asio::awaitable<void> writer();
  boost::asio::awaitable<void> reader();
  boost::asio::awaitable<void> watchdog();

  void after_failed_connect(const std::string& detail, int attempt);
  void after_lost_connection();
  void expire(clock::time_point now);

  boost::asio::any_io_executor executor;
  redis::options opts;
  std::shared_ptr<boost::asio::ssl::context> tls;
  transport stream;
  resp_reader parser;
  redis::stats counters;
  std::unique_ptr<sentinel_link> sentinel;  ///< set when opts.sentinels is not empty

  std::deque<request> queued;             ///< not yet written
  std::deque<request> in_flight;          ///< written, reply pending, in order
  bool started = false;
  bool ready = false;                     ///< handshake done, writer and reader running
  bool closing = false;
  bool quitting = false;                  ///< QUIT sent: the coming EOF is ours, not a loss
  bool hurry = false;                     ///< the master moved: reconnect without the backoff
  std::string last_failure;               ///< why the latest connect failed; "" once connected
  std::string run_id;                     ///< of the server of the latest connection; "" when unknown
  int failed_connects = 0;                ///< consecutive failed connects; 0 once connected
  clock::time_point last_read;
  clock::time_point last_activity;
  boost::asio::steady_timer wake;         ///< the writer sleeps on it; cancel() wakes it
  boost::asio::steady_timer pause;        ///< reconnect delay
  boost::asio::steady_timer tick;         ///< watchdog period
};

}  // namespace bakewind::redis::detail
