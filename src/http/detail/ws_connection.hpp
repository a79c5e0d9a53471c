#pragma once
// One upgraded connection: Beast's websocket stream, a bounded outbound
// queue drained by one writer, a reader that hands text to the app, and an
// orderly close. Lives on its connection's loop; ws_channel calls from other
// threads are posted there.

#include "http/detail/server_state.hpp"
#include "http/websocket.hpp"

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>

namespace bakewind::http::detail {

class ws_connection : public ws_channel, public std::enable_shared_from_this<ws_connection> {
 public:
  /// Messages a client may have waiting before it counts as not reading.
  static constexpr std::size_t max_queue = 256;

  /// `message_rate`: messages a second the client may send on average
  /// (twice that in a burst); a faster client is closed with 1008.
  ws_connection(boost::beast::tcp_stream stream, ws_accept callbacks, double message_rate);

  /// Completes the handshake for `upgrade`, then serves until the connection ends.
  boost::asio::awaitable<void> run(boost::beast::http::request<boost::beast::http::string_body> upgrade,
                                   std::string request_id);

  void send(std::string text) override;
  void close(std::uint16_t code, std::string reason) override;

  /// The TCP stream under the WebSocket (for the server's registry).
  boost::beast::tcp_stream& tcp() noexcept { return ws_.next_layer(); }

 private:
  void enqueue(std::string text);
  void begin_close(std::uint16_t code, std::string reason);
  boost::asio::awaitable<void> write_queue();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  ws_accept callbacks_;
  std::deque<std::string> queue_;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  std::optional<boost::beast::websocket::close_reason> pending_close_;
  double message_rate_;
};

}  // namespace bakewind::http::detail
