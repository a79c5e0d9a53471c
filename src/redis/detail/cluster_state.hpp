#pragma once
// The inside of redis::cluster: the slot map, one client per master, the
// commands in progress and the background work (map refresh, figures,
// retiring the clients of nodes that are no longer masters).
// cluster_send.cpp moves commands; cluster_nodes.cpp keeps the map and nodes.

#include "redis/cluster.hpp"

#include <boost/asio/steady_timer.hpp>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace bakewind::redis::detail {

using cluster_clock = std::chrono::steady_clock;

/// One command on its way through the cluster, maybe over several nodes.
struct cluster_request {
  std::string payload;
  retry policy = retry::never;
  int slot = any_slot;
  std::uint8_t command = 0;  ///< its slot in timed_commands
  int redirects = 0;
  int retries = 0;
  cluster_clock::time_point started;
  cluster_clock::time_point deadline;
  /// Empty once the caller was answered; whatever arrives later is dropped.
  std::optional<boost::asio::any_completion_handler<connection::completion>> handler;
  /// Armed when the command is sent a second time: a node client's own
  /// deadline restarts with each send, the command's does not.
  std::optional<boost::asio::steady_timer> guard;
  std::optional<boost::asio::steady_timer> pause;  ///< the wait before a retry
};

using request_ptr = std::shared_ptr<cluster_request>;

struct cluster_state : std::enable_shared_from_this<cluster_state> {
  cluster_state(boost::asio::any_io_executor ex, options o, cluster_options c);

  // Commands (cluster_send.cpp).
  void start(const request_ptr& r);
  void attempt(const request_ptr& r);
  void send_via(std::size_t master, const request_ptr& r);
  void send_to_node(const node_address& node, const request_ptr& r, bool asking);
  void on_reply(const request_ptr& r, const node_address& from, boost::system::error_code ec, reply value);
  bool follow(const request_ptr& r, const reply& value, const node_address& from);
  void retry_later(const request_ptr& r);
  void guard_deadline(const request_ptr& r);
  void finish(const request_ptr& r, boost::system::error_code ec, reply value);
  int any_master() const noexcept;

  // The map and the nodes (cluster_nodes.cpp).
  client& client_for(const node_address& node);
  client& client_to_ask(const node_address& node);
  void index_masters();
  void request_refresh();
  boost::asio::awaitable<void> refresher();
  boost::asio::awaitable<bool> refresh_once();
  void apply(slot_map fresh);
  void resume_parked();
  boost::asio::awaitable<void> maintain();
  void retire_idle(cluster_clock::time_point now);
  /// Closes `c`, one of `quitting`, politely (QUIT) and then drops it.
  boost::asio::awaitable<void> quit(client* c);
  void sync_stats();
  void shut_down();

  boost::asio::any_io_executor executor;
  options node_options;
  cluster_options settings;
  slot_map map;
  bool have_map = false;
  std::unordered_map<std::string, std::unique_ptr<client>> clients;  ///< by "host:port": masters and redirect targets
  std::unordered_map<std::string, std::unique_ptr<client>> probes;   ///< other nodes asked for the map
  std::vector<client*> master_clients;                               ///< aligned with map.masters()
  struct retired_client {
    cluster_clock::time_point since;
    std::unique_ptr<client> link;
  };
  std::vector<retired_client> retired;  ///< no longer masters: closed once what they carry has ended
  std::vector<std::unique_ptr<client>> quitting;  ///< retired ones being closed: ended by shut_down if QUIT hangs
  std::vector<request_ptr> parked;      ///< waiting for the first map
  bool started = false;
  bool closing = false;
  bool refreshing = false;
  bool refresh_again = false;
  bool refresh_failing = false;  ///< logged once per change
  cluster_clock::time_point last_refresh;
  boost::asio::steady_timer tick;
  boost::asio::steady_timer spacing;

  redis::stats counters;  ///< what stats() shows: latency and commands here, the rest summed
  cluster_figures figures;
  std::uint64_t own_errors = 0;     ///< commands this layer failed (deadline, cluster down)
  std::uint64_t gone_connects = 0;  ///< figures of clients already closed
  std::uint64_t gone_reconnects = 0;
  std::uint64_t gone_errors = 0;
  std::uint64_t gone_refused = 0;  ///< commands refused by clients closed since (not answering)
  std::uint64_t gone_stalls = 0;   ///< their not-answering episodes
};

}  // namespace bakewind::redis::detail
