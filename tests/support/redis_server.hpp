#pragma once
// A real redis-server for tests, on a free port, in its own folder.

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bakewind::test {

/// How to start a redis_server beyond the defaults.
struct redis_server_options {
  /// Appended to the command line (e.g. {"--requirepass", "x"}).
  std::vector<std::string> extra_args;
  /// Serve TLS only on port() (`--port 0 --tls-port PORT`); the certificate
  /// arguments (--tls-cert-file ...) go in extra_args. Readiness is then
  /// checked by a TCP connect instead of PING.
  bool tls = false;
};

/// redis-server bound to 127.0.0.1 on a free port, without persistence,
/// started by the constructor and stopped (and its folder removed) by the
/// destructor. Throws std::runtime_error, with the server's log, when it does
/// not answer PING within 10 s.
class redis_server {
 public:
  /// Starts it; `extra_args` are appended to the command line (e.g. {"--requirepass", "x"}).
  explicit redis_server(std::vector<std::string> extra_args = {});
  /// Starts it with `options`. Servers that require AUTH are ready when they answer PING at all.
  explicit redis_server(redis_server_options options);
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  /// The port, the same across stop()/start().
  std::uint16_t port() const noexcept { return port_; }
  /// "redis://127.0.0.1:PORT".
  std::string url() const;
  /// Stops it (SIGTERM, SIGKILL after 5 s) and waits; no-op when stopped.
  void stop();
  /// Starts it again on the same port (empty: nothing was persisted).
  void start();
  /// As start(), with `once` appended to the command line for this start
  /// only (e.g. {"--requirepass", "x"}: look at what it loaded before the
  /// service, which does not know the password, can change it).
  void start(const std::vector<std::string>& once);
  /// Kills it with SIGKILL (a crash, no shutdown); no-op when stopped.
  void kill();
  /// The server's pid while it runs, else -1 (to SIGSTOP it: a hung server).
  int pid() const noexcept;
  /// True while the process runs.
  bool running();
  /// Its log so far.
  std::string log() const;

 private:
  temp_dir dir_;
  std::uint16_t port_;
  std::vector<std::string> extra_args_;
  bool tls_ = false;
  std::optional<child_process> process_;
};

/// True when a Redis server on 127.0.0.1:`port` answers PING with PONG within `timeout_ms`.
bool redis_ping(std::uint16_t port, int timeout_ms = 500);

}  // namespace bakewind::test
