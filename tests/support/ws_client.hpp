#pragma once
// A small blocking WebSocket client for tests (RFC 6455, text frames only):
// it can stay silent on purpose (a client that never reads) and reports
// close frames with their code.

#include "support/http_client.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace bakewind::test {

/// What reading produced.
struct ws_frame {
  bool closed = false;        ///< a close frame (or the connection ended)
  std::uint16_t close_code = 0;
  std::string text;           ///< a text frame's payload
};

class ws_client {
 public:
  /// Connects to 127.0.0.1:port and sends the upgrade for `target` with
  /// `extra_headers` ("Name: value\r\n" lines). status() tells the answer.
  ws_client(std::uint16_t port, const std::string& target, const std::string& extra_headers = {});
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  /// The handshake's HTTP status (101 when upgraded).
  int status() const noexcept { return handshake_.status; }

  /// A header of the handshake's answer (name in lower case), "" when absent.
  std::string header(const std::string& lower_name) const { return handshake_.header(lower_name); }

  /// Sends one masked text frame; false when the peer is gone.
  bool send_text(const std::string& text);

  /// The next text or close frame (pings are answered, pongs skipped);
  /// nullopt on timeout.
  std::optional<ws_frame> read(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  bool send_frame(std::uint8_t opcode, const std::string& payload);

  int fd_ = -1;
  http_reply handshake_;  ///< the handshake's answer: status and headers
  std::string buffer_;
};

}  // namespace bakewind::test
