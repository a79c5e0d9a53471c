// The abusive side of bench/abuse.sh: holds, against 127.0.0.1:PORT,
//   - SLOW connections that each send half a request and then one more
//     header line every few seconds (slowloris), reopened when the server
//     drops them, and
//   - WS idle WebSockets upgraded with ACCESS_TOKEN that never send,
// for SECONDS seconds; then prints what it held and how often it reopened.
//
//   abuse_client PORT SLOW WS SECONDS ACCESS_TOKEN

#include "loopback.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// True when the peer closed (or reset) the connection; drains what it sent.
bool peer_closed(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  char sink[4096];
  const auto n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
  return n <= 0;
}

int open_slow(std::uint16_t port) {
  const int fd = bakewind::bench::connect_loopback(port);
  if (fd >= 0 && !send_all(fd, "GET /api/v1/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n")) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int open_ws(std::uint16_t port, const std::string& token) {
  const int fd = bakewind::bench::connect_loopback(port);
  if (fd < 0) return -1;
  const std::string upgrade = "GET /api/v1/ws?access_token=" + token +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  char reply[1024];
  pollfd p{fd, POLLIN, 0};
  if (!send_all(fd, upgrade) || ::poll(&p, 1, 5000) <= 0) {
    ::close(fd);
    return -1;
  }
  const auto n = ::recv(fd, reply, sizeof reply - 1, 0);
  if (n <= 0 || std::strncmp(reply, "HTTP/1.1 101", 12) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s PORT SLOW WS SECONDS ACCESS_TOKEN\n", argv[0]);
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  const int slow_count = std::atoi(argv[2]);
  const int ws_count = std::atoi(argv[3]);
  const auto seconds = std::chrono::seconds(std::atoi(argv[4]));
  const std::string token = argv[5];

  bakewind::bench::raise_descriptor_limit();

  std::vector<int> ws;
  int ws_failed = 0;
  for (int i = 0; i < ws_count; ++i) {
    const int fd = open_ws(port, token);
    if (fd < 0) {
      ++ws_failed;
    } else {
      ws.push_back(fd);
    }
  }
  std::vector<int> slow;
  for (int i = 0; i < slow_count; ++i) slow.push_back(open_slow(port));
  std::printf("holding %zu idle websockets (%d refused), %d slowloris connections\n", ws.size(), ws_failed,
              slow_count);
  std::fflush(stdout);

  const auto end = clock_type::now() + seconds;
  long reopened = 0;
  long trickled = 0;
  while (clock_type::now() < end) {
    for (auto& fd : slow) {
      if (fd >= 0 && !peer_closed(fd) && send_all(fd, "X-Slow: 1\r\n")) {
        ++trickled;
        continue;
      }
      if (fd >= 0) ::close(fd);
      fd = open_slow(port);
      ++reopened;
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  long ws_alive = 0;
  for (const int fd : ws) ws_alive += peer_closed(fd) ? 0 : 1;
  std::printf("slowloris: %ld header lines trickled, %ld connections reopened after the server dropped them; "
              "websockets still open at the end: %ld of %zu\n",
              trickled, reopened, ws_alive, ws.size());
  for (const int fd : ws) ::close(fd);
  for (const int fd : slow) {
    if (fd >= 0) ::close(fd);
  }
  return 0;
}
