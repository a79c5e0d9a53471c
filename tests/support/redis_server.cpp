#include "support/redis_server.hpp"

#include "support/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace bakewind::test {

namespace {

// The first bytes of the answer to a PING ("" when none within `timeout_ms`).
std::string ping_reply(std::uint16_t port, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    constexpr std::string_view ping = "*1\r\n$4\r\nPING\r\n";
    if (::send(fd, ping.data(), ping.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(ping.size())) {
      char reply[16] = {};
      const ssize_t n = ::recv(fd, reply, sizeof reply - 1, 0);
      if (n > 0) answer.assign(reply, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

// Any reply to PING (+PONG, or -NOAUTH from a server that wants AUTH) means it is up.
bool answers_ping(std::uint16_t port) {
  const auto answer = ping_reply(port, 500);
  return !answer.empty() && (answer[0] == '+' || answer[0] == '-');
}

}  // namespace

bool redis_ping(std::uint16_t port, int timeout_ms) { return ping_reply(port, timeout_ms).rfind("+PONG", 0) == 0; }

redis_server::redis_server(std::vector<std::string> extra_args)
    : redis_server(redis_server_options{std::move(extra_args), false}) {}

redis_server::redis_server(redis_server_options options)
    : dir_("bakewind-redis"), port_(free_port()), extra_args_(std::move(options.extra_args)), tls_(options.tls) {
  // A port found free may be taken before redis-server binds it (another
  // process's connection drew it): then another port, a few times.
  for (int attempt = 1;; ++attempt) {
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 5 || log().find("Address already in use") == std::string::npos) throw;
      port_ = free_port();
    }
  }
}

redis_server::~redis_server() { stop(); }

std::string redis_server::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

void redis_server::start() { start({}); }

void redis_server::start(const std::vector<std::string>& once) {
  if (process_ && process_->running()) return;
  process_.reset();
  child_options options;
  options.argv = {"redis-server", "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no", "--daemonize", "no", "--dir", dir_.path().string(), "--logfile", ""};
  const std::vector<std::string> ports = tls_ ? std::vector<std::string>{"--port", "0", "--tls-port", std::to_string(port_)}
                                              : std::vector<std::string>{"--port", std::to_string(port_)};
  options.argv.insert(options.argv.begin() + 1, ports.begin(), ports.end());
  options.argv.insert(options.argv.end(), extra_args_.begin(), extra_args_.end());
  options.argv.insert(options.argv.end(), once.begin(), once.end());
  options.stdout_path = dir_.path() / "redis.log";
  process_.emplace(std::move(options));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!(tls_ ? port_accepts(port_) : answers_ping(port_))) {
    if (!process_->running()) throw std::runtime_error("redis-server exited:\n" + log());
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("redis-server not ready:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void redis_server::stop() {
  if (!process_) return;
  process_->signal(SIGTERM);
  if (!process_->wait_for_exit(std::chrono::seconds(5))) process_->kill();
  process_.reset();
}

void redis_server::kill() {
  if (!process_) return;
  process_->kill();
  process_.reset();
}

int redis_server::pid() const noexcept { return process_ ? static_cast<int>(process_->pid()) : -1; }

bool redis_server::running() { return process_ && process_->running(); }

std::string redis_server::log() const { return read_file(dir_.path() / "redis.log"); }

}  // namespace bakewind::test
