#pragma once
// A real haproxy for tests, in front of several HTTP servers on 127.0.0.1:
// round robin, health checks on GET /health/ready, WebSocket tunnels.

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bakewind::test {

/// haproxy on 127.0.0.1 and a free port, balancing round robin over
/// `backends` (ports on 127.0.0.1), each checked every 250 ms with
/// GET /health/ready and taken out after 2 failures. A killed instance
/// drops its connections, WebSockets included: their clients reconnect
/// through haproxy to another.
/// When none is ready (a dependency they share is down), the live ones
/// (GET /health/live) serve.
/// The binary is $BAKEWIND_HAPROXY, else /usr/sbin/haproxy (Debian package
/// haproxy). The destructor stops it and removes its folder. Throws
/// std::runtime_error, with its log, when it does not start.
class haproxy_server {
 public:
  explicit haproxy_server(const std::vector<std::uint16_t>& backends);
  ~haproxy_server();
  haproxy_server(const haproxy_server&) = delete;
  haproxy_server& operator=(const haproxy_server&) = delete;

  /// The port clients use.
  std::uint16_t port() const noexcept { return port_; }
  /// Its log so far (health-check transitions).
  std::string log() const;

 private:
  temp_dir dir_;
  std::uint16_t port_;
  std::optional<child_process> process_;
};

}  // namespace bakewind::test
