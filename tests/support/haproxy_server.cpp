#include "support/haproxy_server.hpp"

#include "support/net.hpp"

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace bakewind::test {

namespace {

std::string config(std::uint16_t port, const std::vector<std::uint16_t>& backends) {
  std::string c =
      "global\n"
      "    maxconn 4000\n"
      "    log stdout format raw local0 info\n"
      "defaults\n"
      "    mode http\n"
      "    log global\n"
      "    option httplog\n"
      "    option dontlog-normal\n"
      "    option redispatch\n"
      "    retries 2\n"
      "    timeout connect 1s\n"
      "    timeout queue 2s\n"
      "    timeout client 30s\n"
      "    timeout server 30s\n"
      "    timeout tunnel 10m\n"
      "frontend api\n"
      "    bind 127.0.0.1:" + std::to_string(port) + "\n"
      // When no instance is ready, a dependency they share is down (say
      // PostgreSQL): every live instance still answers what it can (Redis
      // reads) and a clear 503 for the rest, better than haproxy's own 503.
      "    use_backend live if { nbsrv(ready) eq 0 }\n"
      "    default_backend ready\n";
  auto backend = [&](const std::string& name, const std::string& check_uri) {
    c += "backend " + name + "\n"
         "    balance roundrobin\n"
         "    option httpchk\n"
         "    http-check send meth GET uri " + check_uri + "\n"
         "    http-check expect status 200\n"
         "    default-server inter 250ms fastinter 250ms fall 2 rise 2\n";
    for (std::size_t i = 0; i < backends.size(); ++i) {
      c += "    server i" + std::to_string(i + 1) + " 127.0.0.1:" + std::to_string(backends[i]) + " check\n";
    }
  };
  backend("ready", "/health/ready");
  backend("live", "/health/live");
  return c;
}

}  // namespace

haproxy_server::haproxy_server(const std::vector<std::uint16_t>& backends)
    : dir_("bakewind-haproxy"), port_(free_port()) {
  const auto file = dir_.path() / "haproxy.cfg";
  {
    std::ofstream out(file);
    out << config(port_, backends);
    if (!out) throw std::runtime_error("cannot write " + file.string());
  }
  const char* binary = std::getenv("BAKEWIND_HAPROXY");
  child_options options;
  // -db: stay in the foreground; -W off; the log goes to stderr with -d off.
  options.argv = {binary != nullptr ? binary : "/usr/sbin/haproxy", "-db", "-f", file.string()};
  options.stdout_path = dir_.path() / "haproxy.log";
  process_.emplace(std::move(options));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!port_accepts(port_)) {
    if (!process_->running()) throw std::runtime_error("haproxy exited:\n" + log());
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("haproxy not listening:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

haproxy_server::~haproxy_server() {
  if (!process_) return;
  process_->signal(SIGTERM);
  if (!process_->wait_for_exit(std::chrono::seconds(5))) process_->kill();
}

std::string haproxy_server::log() const { return read_file(dir_.path() / "haproxy.log"); }

}  // namespace bakewind::test
