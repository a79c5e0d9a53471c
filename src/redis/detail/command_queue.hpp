#pragma once
// The commands of one redis::client, without I/O (the Boost.Redis
// multiplexer's shape): what waits to be written, what waits for its reply,
// and every rule about them (auto-pipelining, matching replies in order,
// READONLY, deadlines, the retry budget, re-sending after a lost
// connection, closing). No sockets, timers or coroutines: time comes in as
// arguments and outcomes leave through a completion_sink, so unit tests
// drive it with bytes and a made-up clock.

#include "redis/client.hpp"
#include "redis/options.hpp"
#include "redis/resp.hpp"
#include "redis/stats.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace bakewind::redis::detail {

using clock = std::chrono::steady_clock;

/// Holds a completion handler. Boost 1.81's any_completion_handler recurses
/// forever on move-assignment (it re-wraps itself from an lvalue), so this
/// only ever move-constructs and swaps it.
class handler_slot {
 public:
  using handler_type = boost::asio::any_completion_handler<client::completion>;

  handler_slot() = default;
  handler_slot(handler_type h) noexcept : h_(std::move(h)) {}  // NOLINT: implicit on purpose
  handler_slot(handler_slot&& other) noexcept : h_(std::move(other.h_)) {}
  handler_slot& operator=(handler_slot&& other) noexcept {
    handler_type previous(std::move(other.h_));
    h_.swap(previous);  // `previous` now holds our old handler and drops it
    return *this;
  }

  explicit operator bool() const noexcept { return static_cast<bool>(h_); }

  /// Moves the handler out, leaving the slot empty.
  handler_type take() noexcept {
    handler_type out(std::move(h_));
    return out;
  }

 private:
  handler_type h_;
};

/// One command, from enqueue to its outcome.
struct request {
  std::string payload;  ///< encoded (append_command)
  retry policy = retry::never;
  bool internal = false;     ///< our own PING: no caller, not counted
  std::uint8_t command = 0;  ///< its slot in timed_commands
  int failed_connects = 0;   ///< failed connects it has waited through
  std::uint64_t id = 0;      ///< set by command_queue::enqueue
  clock::time_point deadline;
  clock::time_point sent_at;  ///< when written
  handler_slot handler;       ///< empty once answered or abandoned
};

/// Where outcomes go: the caller's handler (never empty), the error (none
/// when a reply came) and the reply. It must not call into the queue;
/// redis::client posts the call to its executor.
using completion_sink = std::function<void(handler_slot::handler_type, boost::system::error_code, reply)>;

class command_queue {
 public:
  /// Reads max_batch_bytes and max_retries_per_request from `o`; counts
  /// replies, latencies and timeouts in `counters`, which must outlive it.
  command_queue(const options& o, redis::stats& counters, completion_sink sink);

  /// Takes a command at `now`; returns its id for cancel(). Returns 0 when
  /// it was answered at once: error::closed after close(),
  /// error::retries_exhausted while Redis is known to be down (the last
  /// failed connects spent the budget), error::not_answering while it is
  /// held as not answering (stop_waiting; not retry::deliver), so callers
  /// do not all wait out their deadlines. A retry::deliver command whose
  /// deadline has passed is answered error::timeout at once, and queued.
  std::uint64_t enqueue(request r, clock::time_point now);

  /// The next write: payloads of queued commands appended to `out` until it
  /// holds max_batch_bytes (at least one command), moved in flight and
  /// stamped sent_at = `now`. False when nothing is queued.
  bool next_batch(std::string& out, clock::time_point now);

  /// Matches every complete reply in `parser` to the oldest command in
  /// flight and completes it (a reply to an abandoned command is dropped).
  /// Any reply ends not answering (stop_waiting).
  /// False when one of them was a READONLY error: it still went to its
  /// caller, but the connection must be dropped (a replica after failover).
  /// Throws protocol_error on bytes that are not RESP and on a reply with
  /// nothing in flight: the connection must be dropped.
  bool take_replies(resp_reader& parser, clock::time_point now);

  /// Redis owes a reply and sent nothing for command_timeout: it is held as
  /// not answering. Every command waiting fails now with
  /// error::not_answering (one in flight stays there, abandoned), and new
  /// ones fail at once, until a reply comes or a connection is made. False
  /// when it was held so already.
  bool stop_waiting();
  /// Whether Redis is held as not answering.
  bool not_answering() const noexcept { return not_answering_; }

  /// Fails every command whose deadline is at or before `now` with
  /// error::timeout. One in flight stays there, abandoned, to keep the
  /// replies in order; a queued retry::deliver one stays queued.
  void expire(clock::time_point now);

  /// A connect succeeded (its handshake was answered): the retry budget is
  /// whole again, and Redis answers.
  void connected() noexcept;
  /// Connect attempt `attempt` in a row failed: each queued command
  /// survives max_retries_per_request of them, then fails with
  /// error::retries_exhausted.
  void connect_failed(int attempt);
  /// The connection died: commands written but unanswered may have run, so
  /// only retry::idempotent ones go back to the queue (in their order,
  /// before newer ones), and retry::deliver ones whether anyone still waits
  /// or not; the others fail with error::connection_lost.
  void connection_lost();

  /// Cancellation by the caller of command `id` (ignored when it is done).
  /// Queued: removed, completes with asio::error::operation_aborted. Written
  /// (only on terminal or partial cancellation): the caller completes with
  /// operation_aborted now and the reply, when it comes, is dropped.
  void cancel(std::uint64_t id, boost::asio::cancellation_type type);

  /// Fails everything with error::closed; enqueue refuses from now on.
  void close();
  bool closed() const noexcept { return closed_; }

  /// Commands not yet written.
  std::size_t queued() const noexcept { return queued_.size(); }
  /// Commands written and not yet answered (abandoned ones included).
  std::size_t in_flight() const noexcept { return in_flight_.size(); }
  /// When the oldest command in flight was written; nullopt when none is.
  std::optional<clock::time_point> awaiting_since() const;

 private:
  void complete(request& r, boost::system::error_code ec, reply value, clock::time_point now);
  void fail(request& r, boost::system::error_code ec) { complete(r, ec, {}, {}); }
  void answering() noexcept;

  std::size_t max_batch_bytes_;
  int max_retries_;
  redis::stats& counters_;
  completion_sink sink_;
  std::deque<request> queued_;     ///< not yet written; ids ascending
  std::deque<request> in_flight_;  ///< written, reply pending, in order; ids ascending, below queued_'s
  std::uint64_t next_id_ = 1;
  int failed_connects_ = 0;  ///< consecutive failed connects; 0 once connected
  bool not_answering_ = false;  ///< see stop_waiting()
  bool closed_ = false;
};

}  // namespace bakewind::redis::detail
