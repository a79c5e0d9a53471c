#include "support/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <system_error>

namespace bakewind::test {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Binds 127.0.0.1:`port` (0: any) and closes it again; the port bound, or 0
// when it was taken.
std::uint16_t try_bind(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in address = loopback(port);
  socklen_t length = sizeof address;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  return bound ? ntohs(address.sin_port) : 0;
}

// The first port the kernel uses for outgoing connections (32768 unless
// configured otherwise).
std::uint16_t first_ephemeral_port() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned first = 0;
  return range >> first && first > 0 && first < 65536 ? static_cast<std::uint16_t>(first) : 32768;
}

}  // namespace

std::uint16_t free_port() {
  // Not port 0: the kernel then hands out a port from the range it also uses
  // for the source port of outgoing connections, and the servers of a test
  // (Redis nodes talking to each other, PgBouncer, instances) open many of
  // those; one took a port between this check and the server's bind, which
  // failed with "Address already in use". Below that range only listeners
  // take ports, and a port is never handed out twice by one process.
  constexpr std::uint16_t lowest = 10000;
  const std::uint16_t end = first_ephemeral_port();
  if (end > lowest + 1000) {
    static std::mutex mutex;
    static std::set<std::uint16_t> handed_out;
    static std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
    const std::lock_guard lock(mutex);
    std::uniform_int_distribution<unsigned> pick(lowest, end - 1u);
    for (int attempt = 0; attempt < 200; ++attempt) {
      const auto port = static_cast<std::uint16_t>(pick(random));
      if (handed_out.contains(port) || try_bind(port) == 0) continue;
      handed_out.insert(port);
      return port;
    }
  }
  if (const auto port = try_bind(0)) return port;
  throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
}

bool port_accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const sockaddr_in address = loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace bakewind::test
