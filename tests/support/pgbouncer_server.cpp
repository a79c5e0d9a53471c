#include "support/pgbouncer_server.hpp"

#include "support/net.hpp"
#include "support/postgres_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace bakewind::test {

namespace {

void write_file(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

pgbouncer_server::pgbouncer_server(std::uint16_t backend_port, int server_connections)
    : dir_("bakewind-pgbouncer", pg_server_user()), port_(free_port()) {
  const std::filesystem::path ini = dir_.path() / "pgbouncer.ini";
  const std::filesystem::path users = dir_.path() / "userlist.txt";
  write_file(users, "\"postgres\" \"\"\n");
  write_file(ini, "[databases]\n"
                  "* = host=127.0.0.1 port=" + std::to_string(backend_port) + "\n"
                  "[pgbouncer]\n"
                  "listen_addr = 127.0.0.1\n"
                  "listen_port = " + std::to_string(port_) + "\n"
                  "unix_socket_dir =\n"
                  "auth_type = trust\n"
                  "auth_file = " + users.string() + "\n"
                  "pool_mode = transaction\n"
                  "default_pool_size = " + std::to_string(server_connections) + "\n"
                  "max_client_conn = 200\n"
                  "server_check_delay = 0\n"
                  "server_login_retry = 1\n"
                  "ignore_startup_parameters = extra_float_digits\n");
  if (::geteuid() == 0) {
    // The files are root's; PgBouncer reads them as postgres.
    std::filesystem::permissions(ini, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
    std::filesystem::permissions(users, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  }
  start();
}

void pgbouncer_server::start() {
  const char* binary = std::getenv("BAKEWIND_PGBOUNCER");
  child_options options;
  options.argv = {binary != nullptr ? binary : "/usr/sbin/pgbouncer", (dir_.path() / "pgbouncer.ini").string()};
  options.run_as = pg_server_user();
  options.stdout_path = dir_.path() / "pgbouncer.log";
  process_.emplace(std::move(options));

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!port_accepts(port_)) {
    if (!process_->running()) throw std::runtime_error("pgbouncer exited:\n" + log());
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("pgbouncer not listening:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void pgbouncer_server::kill() {
  if (!process_) return;
  process_->kill();
  process_.reset();
}

pgbouncer_server::~pgbouncer_server() {
  if (!process_) return;
  process_->signal(SIGTERM);  // immediate shutdown
  if (!process_->wait_for_exit(std::chrono::seconds(10))) process_->kill();
}

std::string pgbouncer_server::url(std::string_view dbname) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(dbname);
}

std::string pgbouncer_server::log() const { return read_file(dir_.path() / "pgbouncer.log"); }

}  // namespace bakewind::test
