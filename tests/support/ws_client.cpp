#include "support/ws_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <stdexcept>

namespace bakewind::test {

ws_client::ws_client(std::uint16_t port, const std::string& target, const std::string& extra_headers) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("websocket connect failed");
  }
  std::string req = "GET " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  req += extra_headers;
  req += "\r\n";
  if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    throw std::runtime_error("websocket send failed");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::size_t end = 0;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) throw std::runtime_error("no handshake answer");
  }
  auto head = parse_head(buffer_.substr(0, end));
  if (!head) throw std::runtime_error("not an HTTP answer to the handshake");
  handshake_ = std::move(*head);
  buffer_.erase(0, end + 4);
  if (handshake_.status != 101) buffer_.clear();  // a body may follow; it is not a frame
}

ws_client::~ws_client() {
  if (fd_ >= 0) ::close(fd_);
}

bool ws_client::fill(std::chrono::steady_clock::time_point deadline) {
  // Rounded up: a poll that times out has then reached the deadline, which
  // read() tells from a closed connection by the clock.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[16384];
  const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

bool ws_client::send_frame(std::uint8_t opcode, const std::string& payload) {
  std::string frame;
  frame += static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>((payload.size() >> 8) & 0xFF);
    frame += static_cast<char>(payload.size() & 0xFF);
  }
  static thread_local std::mt19937 rng{std::random_device{}()};
  char mask[4];
  for (auto& m : mask) m = static_cast<char>(rng());
  frame.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  return ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size());
}

bool ws_client::send_text(const std::string& text) { return send_frame(0x1, text); }

std::optional<ws_frame> ws_client::read(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    while (buffer_.size() < 2) {
      if (!fill(deadline)) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        return ws_frame{true, 1006, {}};  // ended without a close frame
      }
    }
    const auto b0 = static_cast<unsigned char>(buffer_[0]);
    const auto b1 = static_cast<unsigned char>(buffer_[1]);
    std::size_t length = b1 & 0x7F;
    std::size_t header = 2;
    if (length == 126) header = 4;
    if (length == 127) header = 10;
    while (buffer_.size() < header) {
      if (!fill(deadline)) return std::nullopt;
    }
    if (length == 126) {
      length = (static_cast<unsigned char>(buffer_[2]) << 8) | static_cast<unsigned char>(buffer_[3]);
    } else if (length == 127) {
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | static_cast<unsigned char>(buffer_[i]);
    }
    while (buffer_.size() < header + length) {
      if (!fill(deadline)) return std::nullopt;
    }
    std::string payload = buffer_.substr(header, length);
    buffer_.erase(0, header + length);
    const int opcode = b0 & 0x0F;
    if (opcode == 0x1) return ws_frame{false, 0, std::move(payload)};
    if (opcode == 0x8) {
      std::uint16_t code = payload.size() >= 2 ? static_cast<std::uint16_t>(
                                                     (static_cast<unsigned char>(payload[0]) << 8) |
                                                     static_cast<unsigned char>(payload[1]))
                                               : 1005;
      send_frame(0x8, payload.substr(0, 2));  // answer the close and end our side, as browsers do
      ::shutdown(fd_, SHUT_WR);
      return ws_frame{true, code, payload.size() > 2 ? payload.substr(2) : std::string()};
    }
    if (opcode == 0x9) send_frame(0xA, payload);  // answer pings
  }
}

}  // namespace bakewind::test
