#pragma once
// WebSocket routes, Beast-free: the app decides on the upgrade request
// (accept with callbacks, or answer it like any HTTP request) and then talks
// to the client through a ws_channel.

#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bakewind::http {

/// Close codes the service uses.
namespace close_code {
inline constexpr std::uint16_t going_away = 1001;        ///< server shutting down
inline constexpr std::uint16_t policy_violation = 1008;  ///< e.g. a client too slow to read
inline constexpr std::uint16_t unauthorized = 4001;      ///< token expired or revoked (API.md)
}  // namespace close_code

/// A live WebSocket as the app sees it. Methods may be called from any
/// thread; the work happens on the connection's loop.
class ws_channel {
 public:
  virtual ~ws_channel() = default;

  /// Queues one text frame. A client whose queue is full (it does not read)
  /// is closed with 1008: one slow client never stalls the others.
  virtual void send(std::string text) = 0;

  /// Sends a close frame with `code` and ends the connection.
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

/// The app's answer to an upgrade request.
struct ws_accept {
  /// Set to refuse the upgrade with this HTTP response (e.g. 401).
  std::optional<response> reject;
  /// Called once the handshake is done.
  std::function<void(std::shared_ptr<ws_channel>)> on_open;
  /// Called for each text message.
  std::function<void(const std::shared_ptr<ws_channel>&, std::string_view)> on_message;
  /// Called once when the connection has ended, whoever ended it.
  std::function<void(const std::shared_ptr<ws_channel>&)> on_close;
};

/// Decides on an upgrade request.
using ws_handler = std::function<boost::asio::awaitable<ws_accept>(request&)>;

}  // namespace bakewind::http
