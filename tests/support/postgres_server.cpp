#include "support/postgres_server.hpp"

#include "support/net.hpp"

#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>

namespace bakewind::test {

std::optional<std::string> pg_server_user() {
  if (::geteuid() == 0) return std::string("postgres");
  return std::nullopt;
}

postgres_server::postgres_server()
    : dir_("bakewind-pg", pg_server_user()), port_(free_port()), user_(pg_server_user()) {
  child_options init;
  init.argv = {bin("initdb"), "-D", (dir_.path() / "data").string(), "-A", "trust", "-U", "postgres", "--no-sync",
               "-E", "UTF8", "--locale=C", "--no-instructions"};
  init.run_as = user_;
  child_process initdb(std::move(init));
  const std::optional<int> code = initdb.wait_for_exit(std::chrono::minutes(2));
  if (code != 0) throw std::runtime_error("initdb failed:\n" + initdb.output());
  start();
}

postgres_server::~postgres_server() { stop(); }

postgres_server& postgres_server::shared() {
  static postgres_server server;
  return server;
}

std::string postgres_server::bin(std::string_view program) const {
  const char* dir = std::getenv("BAKEWIND_PG_BIN");
  return std::string(dir != nullptr ? dir : "/usr/lib/postgresql/15/bin") + "/" + std::string(program);
}

std::string postgres_server::url(std::string_view dbname) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + std::string(dbname);
}

void postgres_server::start() {
  if (process_ && process_->running()) return;
  process_.reset();
  child_options options;
  options.argv = {bin("postgres"), "-D", (dir_.path() / "data").string(), "-p", std::to_string(port_),
                  "-k", dir_.path().string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                  "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"};
  options.run_as = user_;
  options.stdout_path = dir_.path() / "postgres.log";
  process_.emplace(std::move(options));
  wait_ready();
}

void postgres_server::wait_ready() {
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=postgres connect_timeout=2";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    if (!process_->running()) throw std::runtime_error("postgres exited:\n" + log());
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("postgres not ready:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void postgres_server::stop() {
  if (!process_) return;
  process_->signal(SIGINT);  // fast shutdown: ends sessions, no waiting for clients
  if (!process_->wait_for_exit(std::chrono::seconds(30))) process_->kill();
  process_.reset();
}

bool postgres_server::running() { return process_ && process_->running(); }

void postgres_server::signal_all(int signo) {
  if (!process_) return;
  // Parent of every process now: /proc/<pid>/stat's fourth field.
  std::multimap<pid_t, pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');  // the command name may hold spaces and parentheses
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    pid_t parent = 0;
    if (rest >> state >> parent) children.emplace(parent, static_cast<pid_t>(std::stoi(name)));
  }
  std::vector<pid_t> todo{process_->pid()};
  while (!todo.empty()) {
    const pid_t pid = todo.back();
    todo.pop_back();
    ::kill(pid, signo);
    const auto [first, last] = children.equal_range(pid);
    for (auto it = first; it != last; ++it) todo.push_back(it->second);
  }
}

std::string postgres_server::log() const { return read_file(dir_.path() / "postgres.log"); }

void postgres_server::create_database(std::string_view name) {
  sql(url(), "CREATE DATABASE \"" + std::string(name) + "\"");
}

std::string postgres_server::fresh_database(std::string_view prefix) {
  const std::string name =
      std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(++databases_);
  create_database(name);
  return url(name);
}

std::vector<std::vector<std::string>> sql(const std::string& url, const std::string& statement) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("connect " + url + ": " + PQerrorMessage(conn.get()));
  }
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), statement.c_str()), &PQclear);
  const ExecStatusType status = PQresultStatus(res.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    throw std::runtime_error(statement + ": " + PQresultErrorMessage(res.get()));
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    std::vector<std::string>& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(res.get()); ++c) row.emplace_back(PQgetvalue(res.get(), r, c));
  }
  return rows;
}

std::string sql_value(const std::string& url, const std::string& statement) {
  const auto rows = sql(url, statement);
  return rows.empty() || rows[0].empty() ? std::string() : rows[0][0];
}

}  // namespace bakewind::test
