#pragma once
// A real haproxy for tests, in front of several HTTP servers on 127.0.0.1:
// deploy/haproxy/haproxy.cfg, the policy of every deployment.

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bakewind::test {

/// haproxy on 127.0.0.1 and a free port, with the policy every deployment
/// uses (deploy/haproxy/haproxy.cfg: round robin, health checks on
/// GET /health/ready every 500 ms, a frozen or dead instance taken out
/// after two checks without an answer and its requests ended, GET, HEAD
/// and lock requests retried on another instance, WebSocket tunnels; when
/// none is ready, the live ones serve) and `backends` (ports on 127.0.0.1)
/// as its servers.
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
