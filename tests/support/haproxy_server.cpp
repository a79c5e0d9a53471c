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

// The servers file: the backends that deploy/haproxy/haproxy.cfg names.
std::string servers(const std::vector<std::uint16_t>& backends) {
  std::string c;
  for (const char* backend : {"bakewind", "bakewind_live"}) {
    c += std::string("backend ") + backend + " from " + backend + "\n";
    for (std::size_t i = 0; i < backends.size(); ++i) {
      c += "    server i" + std::to_string(i + 1) + " 127.0.0.1:" + std::to_string(backends[i]) + " check\n";
    }
  }
  return c;
}

}  // namespace

haproxy_server::haproxy_server(const std::vector<std::uint16_t>& backends)
    : dir_("bakewind-haproxy"), port_(free_port()) {
  const auto file = dir_.path() / "servers.cfg";
  {
    std::ofstream out(file);
    out << servers(backends);
    if (!out) throw std::runtime_error("cannot write " + file.string());
  }
  const char* binary = std::getenv("BAKEWIND_HAPROXY");
  child_options options;
  // -db: stay in the foreground; -W off; the log goes to stderr with -d off.
  options.argv = {binary != nullptr ? binary : "/usr/sbin/haproxy", "-db",
                  "-f", BAKEWIND_SOURCE_DIR "/deploy/haproxy/haproxy.cfg", "-f", file.string()};
  options.env = {{"BAKEWIND_HAPROXY_BIND", "127.0.0.1:" + std::to_string(port_)}};
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
