#pragma once
// One connection to Redis kept alive for one owner (redis::client's state,
// redis::subscriber's): connect (straight to options' host, or to the
// master the Sentinels name), the owner's step after the handshake, the
// writer and reader of a live connection, reconnecting forever with
// backoff, following the master the Sentinels announce, and one rule for
// silence. The owner decides what is written and what replies mean
// (connection_owner); the supervisor only moves bytes and keeps time.
// Not thread-safe: the owner's executor only.

#include "redis/detail/sentinel_link.hpp"
#include "redis/options.hpp"
#include "redis/resp.hpp"
#include "redis/stats.hpp"
#include "redis/transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bakewind::redis::detail {

using clock = std::chrono::steady_clock;

/// "host:port" of the server `o` names, for logs.
inline std::string endpoint_of(const redis::options& o) {
  return o.host + ":" + std::to_string(o.port);
}

/// What the silence rule makes of a live connection.
enum class silence {
  fine,     ///< nothing to do
  ping,     ///< idle for idle_ping: probe it
  stalled,  ///< a reply is awaited and nothing came for command_timeout: not answering
  drop,     ///< a reply is awaited and nothing came for read_timeout: dead
};

/// The silence rule, one for every kind of connection: while a reply is
/// awaited (asked for at `awaiting_since`), some byte must come within
/// command_timeout of asking or of the last byte read, or the server is not
/// answering, and within read_timeout, or the connection is dead; a
/// connection idle (nothing read or written) for idle_ping gets a PING, so
/// that a half-open connection has a reply to miss. Silence since the later
/// of asking and the last byte, not one command's wait: a server that
/// answers slowly but steadily (one slow command, a busy loop of ours, a
/// request whose own budget was short) is never stalled.
silence judge_silence(clock::time_point now, clock::time_point last_read, clock::time_point last_write,
                      std::optional<clock::time_point> awaiting_since, const options& o) noexcept;

/// The reconnect attempt after a connection that served for `served`, the
/// previous one being `attempt`: one that served 1 s or more starts the
/// backoff afresh at 1 (like ioredis's retryStrategy); one dropped sooner
/// (a server refusing us after the handshake) keeps growing it.
int attempt_after(int attempt, clock::duration served) noexcept;

/// What a supervisor asks of its owner. Every hook runs on the executor,
/// never after supervisor::stop().
class connection_owner {
 public:
  virtual ~connection_owner() = default;

  /// The owner's step on a fresh connection, after connect and handshake
  /// (the client: INFO server; the subscriber: SUBSCRIBE every channel).
  /// "" when it may serve, else why not (a failed connect).
  virtual boost::asio::awaitable<std::string> after_connect(transport& stream, resp_reader& parser) = 0;
  /// The connection serves from now on, until connection_lost() or stop().
  virtual void connection_ready() = 0;
  /// Appends to `out` what is to be written next; false when nothing is.
  virtual bool next_write(std::string& out, clock::time_point now) = 0;
  /// Handles every complete reply in `parser`. False when the connection
  /// must go (the owner logged why). Throws protocol_error (logged here).
  virtual bool take_replies(resp_reader& parser, clock::time_point now) = 0;
  /// When the oldest reply still awaited was asked for; nullopt when none is.
  virtual std::optional<clock::time_point> awaiting_since() const = 0;
  /// The connection was idle for idle_ping: have a PING written.
  virtual void ping(clock::time_point now) = 0;
  /// A connection that served ended, not by stop() or finish(). Returns
  /// how many replies it still owed, for the log.
  virtual std::size_t connection_lost() = 0;
  /// Connect attempt `attempt` in a row failed (an abandoned one does not count).
  virtual void connect_failed(int attempt) = 0;
  /// Every 50 ms from start() to stop(), connected or not.
  virtual void tick(clock::time_point now) = 0;
  /// The live connection owes replies and nothing came for command_timeout
  /// (silence::stalled), or for read_timeout just before it is dropped.
  /// Called on every tick while it lasts.
  virtual void stalled(clock::time_point /*now*/) {}
};

class supervisor {
 public:
  /// `name` begins every log line ("redis", "redis subscriber"). `owner`
  /// and `counters` (connects, reconnects, errors, connected) must outlive
  /// it. Connects nothing yet. Throws core::config_error for a bad TLS setup.
  supervisor(boost::asio::any_io_executor ex, options o, std::string_view name, connection_owner& owner,
             redis::stats& counters);
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  /// Starts connecting, once; later calls do nothing. The coroutines hold
  /// `keep_alive` (the owner's shared state) until they end.
  void start(std::shared_ptr<void> keep_alive);
  /// The owner has something to write: wakes the writer of a live connection.
  void wake_writer() noexcept;
  /// The coming end of the connection is the owner's doing (QUIT): no
  /// reconnect after it.
  void finish() noexcept { finishing_ = true; }
  /// Stops for good: closes the connection and ends every coroutine; no
  /// hook is called afterwards.
  void stop() noexcept;

  bool started() const noexcept { return started_; }
  /// True while a connection serves (after after_connect, writer and reader running).
  bool ready() const noexcept { return ready_; }
  bool stopped() const noexcept { return closing_; }
  /// The options in use (with Sentinels: host and port of the latest master).
  const options& settings() const noexcept { return opts_; }
  /// Why the latest connect failed; "" once connected.
  const std::string& last_failure() const noexcept { return last_failure_; }

 private:
  boost::asio::awaitable<void> run(std::shared_ptr<void> keep_alive);
  boost::asio::awaitable<void> watch(std::shared_ptr<void> keep_alive);
  boost::asio::awaitable<std::string> connect();
  boost::asio::awaitable<void> serve();
  boost::asio::awaitable<void> writer();
  boost::asio::awaitable<void> reader();
  boost::asio::awaitable<void> backoff(int attempt);
  void failed(const std::string& why, int attempt);
  int after_serving(int attempt, clock::time_point began);
  void check_silence(clock::time_point now);
  void on_master_announced(const server_address& master);
  std::string said(std::string_view what) const;

  boost::asio::any_io_executor executor_;
  options opts_;
  std::string name_;
  connection_owner& owner_;
  redis::stats& counters_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  transport stream_;
  resp_reader parser_;
  std::unique_ptr<sentinel_link> sentinel_;  ///< set when opts_.sentinels is not empty
  bool started_ = false;
  bool ready_ = false;
  bool closing_ = false;
  bool finishing_ = false;  ///< see finish()
  bool hurry_ = false;      ///< the master moved: reconnect without the backoff
  std::string last_failure_;
  clock::time_point last_read_;
  clock::time_point last_write_;
  boost::asio::steady_timer wake_;   ///< the writer sleeps on it; cancel() wakes it
  boost::asio::steady_timer pause_;  ///< reconnect delay
  boost::asio::steady_timer tick_;   ///< watch() period
};

}  // namespace bakewind::redis::detail
