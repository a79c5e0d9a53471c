#pragma once
// The inside of redis::client: its commands (command_queue, the rules) and
// its connection (supervisor, the I/O), joined. The supervisor writes what
// the queue hands out and feeds it what is read; the state adds what only
// the command client does (INFO server after each connect, the idle PING
// as a command, READONLY ends the connection).

#include "redis/client.hpp"
#include "redis/detail/command_queue.hpp"
#include "redis/detail/supervisor.hpp"
#include "redis/stall_episodes.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace bakewind::redis::detail {

class client_state final : public std::enable_shared_from_this<client_state>, private connection_owner {
 public:
  /// Connects nothing yet. Throws core::config_error for a bad TLS setup.
  client_state(boost::asio::any_io_executor ex, redis::options o);

  /// Queues `r`, starting the connection on first use. Returns its id for
  /// cancel(); 0 when it was answered at once (closed, known to be down).
  std::uint64_t enqueue(request r);
  /// The caller of command `id` cancelled it (see command_queue::cancel).
  void cancel(std::uint64_t id, boost::asio::cancellation_type type) { queue_.cancel(id, type); }
  /// QUIT is on its way: the end of the connection that follows is ours.
  void quitting() noexcept { link_.finish(); }
  /// Closes for good: no reconnect, every waiting caller gets error::closed.
  void shut_down();

  bool closing() const noexcept { return queue_.closed(); }
  /// True while a connection serves.
  bool ready() const noexcept { return link_.ready(); }
  const redis::options& opts() const noexcept { return link_.settings(); }
  /// Why the latest connect failed; "" once connected.
  const std::string& last_failure() const noexcept { return link_.last_failure(); }
  /// See client::server_run_id.
  const std::string& run_id() const noexcept { return run_id_; }
  const redis::stats& counters() const noexcept { return counters_; }

 private:
  boost::asio::awaitable<std::string> after_connect(transport& stream, resp_reader& parser) override;
  void connection_ready() override;
  bool next_write(std::string& out, clock::time_point now) override { return queue_.next_batch(out, now); }
  bool take_replies(resp_reader& parser, clock::time_point now) override;
  std::optional<clock::time_point> awaiting_since() const override { return queue_.awaiting_since(); }
  void ping(clock::time_point now) override;
  std::size_t connection_lost() override;
  void connect_failed(int attempt) override { queue_.connect_failed(attempt); }
  void tick(clock::time_point now) override;
  void stalled(clock::time_point now) override;
  // Tells stalls() once Redis answered after stalled().
  void note_answering();

  /// After a connect: the server's run_id (INFO server), counted in
  /// options.servers when it is not the previous one. "" or why it failed.
  boost::asio::awaitable<std::string> identify(transport& stream, resp_reader& parser);

  redis::stats counters_;
  command_queue queue_;
  supervisor link_;
  std::string run_id_;  ///< of the server of the latest connection; "" when unknown
  bool stalled_ = false;      ///< told stalls() that the server stopped answering, not yet that it answers
  stall_episodes own_stalls_;  ///< where stalls go without options.stalls
  stall_episodes& stalls() noexcept;
};

}  // namespace bakewind::redis::detail
