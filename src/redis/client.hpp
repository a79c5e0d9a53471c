#pragma once
// The async Redis client of one event loop (DESIGN.md "Redis client"), what
// ioredis gives the seed and more:
// - lazy connect on first use, then reconnect forever with
//   min(attempt * 50 ms, 2 s) between attempts, re-AUTH and re-SELECT;
// - an offline queue: commands wait while (re)connecting and fail after
//   `max_retries_per_request` failed reconnects; every command has a deadline;
// - auto-pipelining: commands issued while a write is under way go out
//   together in the next write and are matched to replies in order;
// - a command that was sent but not answered when the connection died is
//   failed, never re-sent, unless it was issued as idempotent;
// - a READONLY reply (a replica after failover) drops the connection;
// - a silent connection (half-open) is detected by PINGs and a read deadline;
// - with options::sentinels, each connect goes to the master the Sentinels
//   name, confirmed by ROLE, and a +switch-master naming another address
//   drops the connection at once (detail/sentinel_link.hpp).
// Not thread-safe: every call on the executor's thread (one client per loop).

#include "redis/errors.hpp"
#include "redis/options.hpp"
#include "redis/reply.hpp"
#include "redis/resp.hpp"
#include "redis/stats.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace bakewind::redis {

/// How a command may be treated when its connection dies under it, or its
/// caller stops waiting.
enum class retry {
  never,       ///< sent once: lost with its connection (it may have run)
  idempotent,  ///< sent again on the next connection when lost unanswered
  /// idempotent, and written even after its caller stopped waiting (its
  /// deadline passed, or Redis is held as not answering): a write the
  /// record already holds, which a stalled server must run before anything
  /// asked of this connection later. Dropped with the retry budget (failed
  /// reconnects, also at enqueue while that is spent) and on close(); in a
  /// cluster, also when a redirect or a retry would be needed after its
  /// caller stopped waiting. Callers keep trying in the background for those
  /// (redis::send_or_keep_trying).
  deliver,
};

namespace detail {
class client_state;
}

class client {
 public:
  using completion = void(boost::system::error_code, reply);

  /// Connects nothing yet. Throws core::config_error for a bad TLS setup.
  client(boost::asio::any_io_executor ex, options o);
  /// Fails what is still queued with error::closed; call close() first for a clean QUIT.
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends one encoded command (see append_command) and completes with its
  /// reply; an error reply is a reply, not an error code. Completes with
  /// error::timeout / connection_lost / retries_exhausted / closed when there
  /// is no reply. Honours the handler's cancellation slot: a command not yet
  /// written is withdrawn (any cancellation type); one already written is
  /// abandoned on terminal or partial cancellation (its reply is dropped).
  /// Either way it completes at once with asio::error::operation_aborted.
  template <class Token>
  auto async_send(std::string encoded, retry policy, Token&& token) {
    return async_send(std::move(encoded), policy, no_deadline, std::forward<Token>(token));
  }

  /// The same, ending by `deadline` when that comes before the command's
  /// own (now + command_timeout): a request's budget (redis::budget).
  template <class Token>
  auto async_send(std::string encoded, retry policy, std::chrono::steady_clock::time_point deadline, Token&& token) {
    return boost::asio::async_initiate<Token, completion>(
        [this](auto handler, std::string payload, retry p, std::chrono::steady_clock::time_point d) {
          enqueue(std::move(payload), p, d, std::move(handler));
        },
        token, std::move(encoded), policy, deadline);
  }

  /// Sends `args` as one command, ending by `deadline` at the latest;
  /// throws core::unavailable_error("redis", ...) when no reply comes,
  /// boost::system::system_error(operation_aborted) when the awaiting
  /// coroutine is cancelled. Error replies are returned, not thrown.
  boost::asio::awaitable<reply> send(std::string encoded, retry policy = retry::never,
                                     std::chrono::steady_clock::time_point deadline = no_deadline);

  /// No deadline but the command's own.
  static constexpr auto no_deadline = std::chrono::steady_clock::time_point::max();

  /// Encodes and sends a command: `co_await c.command("GET", key)`.
  template <class... Args>
  boost::asio::awaitable<reply> command(retry policy, const Args&... args) {
    const std::string_view parts[] = {std::string_view(args)...};
    std::string encoded;
    append_command(encoded, parts);
    return send(std::move(encoded), policy);
  }

  /// QUIT, then close; queued commands fail with error::closed. Afterwards
  /// the client starts nothing new, so its executor can drain.
  boost::asio::awaitable<void> close();

  /// Counters for health and metrics.
  const redis::stats& stats() const noexcept;

  /// The `run_id` of the server the latest connection reached (INFO server,
  /// read before any command went through it); "" before the first
  /// connection, when INFO was refused, or with options.servers null.
  const std::string& server_run_id() const noexcept;

 private:
  void enqueue(std::string payload, retry policy, std::chrono::steady_clock::time_point deadline,
               boost::asio::any_completion_handler<completion> handler);

  std::shared_ptr<detail::client_state> state_;
};

}  // namespace bakewind::redis
