#include "support/redis_sentinel_group.hpp"

#include "support/net.hpp"

#include <signal.h>

#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace bakewind::test {

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A Sentinel's run id: 40 hex digits. Set in each conf so that the
// Sentinels can be told about each other up front (known-sentinel) instead of
// discovering each other through hello messages, which takes seconds.
std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  static constexpr char digits[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 40; ++i) id += digits[gen() % 16];
  return id;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// Alternating field/value lines (SENTINEL MASTER, one entry of SENTINEL REPLICAS ...).
std::vector<std::map<std::string, std::string>> records(const std::string& text) {
  std::vector<std::map<std::string, std::string>> out;
  const auto lines = lines_of(text);
  for (std::size_t i = 0; i + 1 < lines.size(); i += 2) {
    if (lines[i] == "name" || out.empty()) out.emplace_back();
    out.back()[lines[i]] = lines[i + 1];
  }
  return out;
}

}  // namespace

redis_sentinel_group::redis_sentinel_group(sentinel_group_options options) : options_(std::move(options)) {
  // A full sync waits 5 s by default for more replicas to share it: no wait
  // here, on either node (the replica becomes a master after a failover).
  master_ = std::make_unique<redis_server>(std::vector<std::string>{"--repl-diskless-sync-delay", "0"});
  replica_ = std::make_unique<redis_server>(std::vector<std::string>{
      "--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", std::to_string(master_->port())});
  sentinels_.reserve(3);
  for (int i = 0; i < 3; ++i) {
    sentinels_.push_back(sentinel_node{temp_dir("bakewind-sentinel"), free_port(), random_id(), std::nullopt});
  }
  for (auto& s : sentinels_) write_sentinel_conf(s);
  for (auto& s : sentinels_) {
    child_options o;
    o.argv = {"redis-server", (s.dir.path() / "sentinel.conf").string(), "--sentinel"};
    o.stdout_path = s.dir.path() / "sentinel.log";
    s.process.emplace(std::move(o));
  }
  wait_until_ready();
}

redis_sentinel_group::~redis_sentinel_group() {
  // SIGKILL works on stopped processes too; nothing here needs a clean exit.
  for (auto& s : sentinels_) {
    if (s.process) s.process->kill();
  }
  if (master_) master_->kill();
  if (replica_) replica_->kill();
}

void redis_sentinel_group::write_sentinel_conf(sentinel_node& s) const {
  const auto& name = options_.name;
  std::ofstream conf(s.dir.path() / "sentinel.conf");
  conf << "port " << s.port << "\n"
       << "bind 127.0.0.1\n"
       << "daemonize no\n"
       << "logfile \"\"\n"
       << "dir " << s.dir.path().string() << "\n"
       << "sentinel resolve-hostnames no\n"
       << "sentinel myid " << s.id << "\n"
       << "sentinel monitor " << name << " 127.0.0.1 " << master_->port() << " 2\n"
       << "sentinel down-after-milliseconds " << name << " 1000\n"
       << "sentinel failover-timeout " << name << " 3000\n"
       << "sentinel parallel-syncs " << name << " 1\n"
       << "sentinel known-replica " << name << " 127.0.0.1 " << replica_->port() << "\n";
  for (const auto& other : sentinels_) {
    if (other.port == s.port) continue;
    conf << "sentinel known-sentinel " << name << " 127.0.0.1 " << other.port << " " << other.id << "\n";
  }
  if (!options_.sentinel_password.empty()) {
    conf << "requirepass " << options_.sentinel_password << "\n"
         << "sentinel sentinel-pass " << options_.sentinel_password << "\n";
  }
  if (!conf) throw std::runtime_error("cannot write " + (s.dir.path() / "sentinel.conf").string());
}

void redis_sentinel_group::wait_until_ready() const {
  const auto deadline = clock::now() + 15s;
  auto replica_synced = [&] {
    return cli(replica_->port(), {"INFO", "replication"}).find("master_link_status:up") != std::string::npos;
  };
  auto sentinel_ready = [&](std::uint16_t port) {
    auto master = records(cli(port, {"SENTINEL", "MASTER", name()}));
    if (master.size() != 1 || master[0]["flags"] != "master" || master[0]["num-other-sentinels"] != "2") return false;
    auto replicas = records(cli(port, {"SENTINEL", "REPLICAS", name()}));
    if (replicas.size() != 1 || replicas[0]["flags"] != "slave" || replicas[0]["master-link-status"] != "ok") {
      return false;
    }
    auto others = records(cli(port, {"SENTINEL", "SENTINELS", name()}));
    if (others.size() != 2) return false;
    for (auto& o : others) {
      if (o["flags"] != "sentinel") return false;
    }
    return true;
  };
  while (!replica_synced()) {
    if (clock::now() > deadline) throw std::runtime_error("replica not in sync:\n" + logs());
    std::this_thread::sleep_for(20ms);
  }
  for (const auto& s : sentinels_) {
    while (!sentinel_ready(s.port)) {
      if (clock::now() > deadline) throw std::runtime_error("Sentinels not ready:\n" + logs());
      std::this_thread::sleep_for(50ms);
    }
  }
}

std::vector<std::uint16_t> redis_sentinel_group::sentinel_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& s : sentinels_) out.push_back(s.port);
  return out;
}

std::vector<std::uint16_t> redis_sentinel_group::data_ports() const { return {master_->port(), replica_->port()}; }

bool redis_sentinel_group::is_sentinel(std::uint16_t port) const {
  for (const auto& s : sentinels_) {
    if (s.port == port) return true;
  }
  return false;
}

bool redis_sentinel_group::usable(std::uint16_t port) const {
  return !paused_.contains(port) && !killed_.contains(port);
}

std::uint16_t redis_sentinel_group::master_port() const {
  for (const auto& s : sentinels_) {
    if (!usable(s.port)) continue;
    const auto lines = lines_of(cli(s.port, {"SENTINEL", "get-master-addr-by-name", name()}));
    if (lines.size() == 2) return static_cast<std::uint16_t>(std::stoi(lines[1]));
  }
  return 0;
}

std::uint16_t redis_sentinel_group::wait_for_new_master(std::uint16_t old_port, std::chrono::milliseconds limit) const {
  const auto deadline = clock::now() + limit;
  while (clock::now() < deadline) {
    std::optional<std::uint16_t> agreed;
    bool all = true;
    for (const auto& s : sentinels_) {
      if (!usable(s.port)) continue;
      const auto lines = lines_of(cli(s.port, {"SENTINEL", "get-master-addr-by-name", name()}));
      const auto port = lines.size() == 2 ? static_cast<std::uint16_t>(std::stoi(lines[1])) : 0;
      if (port == 0 || port == old_port || (agreed && *agreed != port)) all = false;
      agreed = port;
    }
    if (all && agreed && usable(*agreed)) {
      const auto role = lines_of(cli(*agreed, {"ROLE"}));
      if (!role.empty() && role.front() == "master") return *agreed;
    }
    std::this_thread::sleep_for(50ms);
  }
  return 0;
}

void redis_sentinel_group::failover() const {
  for (const auto& s : sentinels_) {
    if (!usable(s.port)) continue;
    const auto answer = cli(s.port, {"SENTINEL", "FAILOVER", name()});
    if (answer != "OK") throw std::runtime_error("SENTINEL FAILOVER answered: " + answer);
    return;
  }
  throw std::runtime_error("no Sentinel to ask for a failover");
}

void redis_sentinel_group::kill(std::uint16_t port) {
  resume(port);
  if (port == master_->port()) {
    master_->kill();
  } else if (port == replica_->port()) {
    replica_->kill();
  } else {
    for (auto& s : sentinels_) {
      if (s.port == port && s.process) s.process->kill();
    }
  }
  killed_.insert(port);
}

void redis_sentinel_group::pause(std::uint16_t port) {
  const int p = pid(port);
  if (p <= 0) throw std::runtime_error("no running node on port " + std::to_string(port));
  ::kill(p, SIGSTOP);
  paused_.insert(port);
}

void redis_sentinel_group::resume(std::uint16_t port) {
  if (!paused_.contains(port)) return;
  const int p = pid(port);
  if (p > 0) ::kill(p, SIGCONT);
  paused_.erase(port);
}

int redis_sentinel_group::pid(std::uint16_t port) const {
  if (killed_.contains(port)) return -1;
  if (port == master_->port()) return master_->pid();
  if (port == replica_->port()) return replica_->pid();
  for (const auto& s : sentinels_) {
    if (s.port == port && s.process) return static_cast<int>(s.process->pid());
  }
  return -1;
}

std::string redis_sentinel_group::cli(std::uint16_t port, const std::vector<std::string>& command) const {
  child_options o;
  o.argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port), "--no-auth-warning"};
  if (is_sentinel(port) && !options_.sentinel_password.empty()) {
    o.argv.insert(o.argv.end(), {"-a", options_.sentinel_password});
  }
  o.argv.insert(o.argv.end(), command.begin(), command.end());
  o.stderr_path = "/dev/null";
  child_process p(std::move(o));
  if (!p.wait_for_exit(5s)) throw std::runtime_error("redis-cli did not exit (port " + std::to_string(port) + ")");
  std::string out = p.output();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string redis_sentinel_group::logs() const {
  std::string out = "--- master " + std::to_string(master_->port()) + "\n" + master_->log() + "--- replica " +
                    std::to_string(replica_->port()) + "\n" + replica_->log();
  for (const auto& s : sentinels_) {
    out += "--- sentinel " + std::to_string(s.port) + "\n" + read_file(s.dir.path() / "sentinel.log");
  }
  return out;
}

}  // namespace bakewind::test
