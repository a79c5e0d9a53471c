#pragma once
// One upgraded connection: Beast's websocket stream, a bounded outbound
// queue drained by one writer, a reader that hands text to the app, and an
// orderly close. Lives on its connection's loop; ws_channel calls from other
// threads are posted there.
//
// An idle WebSocket costs what this object holds while a read is pending:
// the reader is a chain of completion handlers rather than a coroutine (no
// frames under an idle socket), its buffer starts at a few bytes, the
// queue and the close reason take memory only while there is something to
// write, and the keep-alive pings run from one ticker per loop.

#include "http/detail/message.hpp"
#include "http/detail/server_state.hpp"
#include "http/websocket.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <list>
#include <memory>
#include <optional>

namespace bakewind::http::detail {

class ws_connection : public ws_channel, public std::enable_shared_from_this<ws_connection> {
 public:
  /// Messages a client may have waiting before it counts as not reading.
  static constexpr std::size_t max_queue = 256;

  /// Takes the connection over: its socket, and its registration (which
  /// now names this WebSocket, and ends when the reader does).
  /// `message_rate`: messages a second the client may send on average
  /// (twice that in a burst); a faster client is closed with 1008.
  ws_connection(socket_type socket, ws_accept callbacks, double message_rate, registration entry);

  /// Completes the handshake for `upgrade`; true when the WebSocket is open.
  boost::asio::awaitable<bool> accept(const beast_request& upgrade, std::string request_id);

  /// After a successful accept: tells the app (on_open), then reads the
  /// client's messages until the connection ends (on_close). Returns at once.
  void start();

  void send(std::string text) override;
  void close(std::uint16_t code, std::string reason) override;

  /// Called by its loop's ticker about once a second: Beast's keep-alive
  /// rule (the stream's own is off), with the loop's timer instead of one
  /// per socket. A ping after half `idle_timeout` without a byte from the
  /// client; the connection ends (no close frame) after the other half
  /// without one.
  void tick(std::chrono::steady_clock::time_point now, std::chrono::milliseconds idle_timeout);

 private:
  void heard() noexcept;
  void read_next();
  void on_read(const boost::system::error_code& ec);
  void handle_message();
  void finish();
  void enqueue(std::string text);
  void begin_close(std::uint16_t code, std::string reason);
  boost::asio::awaitable<void> write_queue();

  boost::beast::websocket::stream<socket_type, false> ws_;  ///< no permessage-deflate (never offered): a smaller stream
  decltype(ws_accept::on_open) on_open_;  ///< until start()
  decltype(ws_accept::on_message) on_message_;
  decltype(ws_accept::on_close) on_close_;
  std::optional<registration> registration_;  ///< until the reader ends
  boost::beast::flat_buffer buffer_;           ///< the message being read
  std::list<std::string> queue_;               ///< no memory while empty
  std::unique_ptr<boost::beast::websocket::close_reason> pending_close_;
  double message_rate_;
  double tokens_ = 0;  ///< the client's message bucket: see handle_message()
  std::chrono::steady_clock::time_point refilled_;
  std::chrono::steady_clock::time_point heard_;  ///< the client's last bytes, or our idle ping
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool pinged_ = false;   ///< an idle ping went out since the client's last bytes
  bool pinging_ = false;  ///< it is still being written
};

}  // namespace bakewind::http::detail
