#include "support/redis_cluster.hpp"

#include "support/child_process.hpp"
#include "support/net.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace bakewind::test {

namespace {

using namespace std::chrono_literals;

std::vector<std::string> non_empty_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// "ip:port@cport[,hostname]" -> port.
std::uint16_t port_of_address(const std::string& address) {
  const auto colon = address.rfind(':', address.find('@'));
  const auto at = address.find('@');
  return static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1, at - colon - 1)));
}

cluster_node_info parse_node_line(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w);
  if (f.size() < 8) throw std::runtime_error("unexpected CLUSTER NODES line: " + line);
  cluster_node_info n;
  n.id = f[0];
  n.port = port_of_address(f[1]);
  n.master = f[2].find("master") != std::string::npos;
  n.failed = f[2].find("fail") != std::string::npos || f[7] != "connected";
  n.master_id = f[3];
  for (std::size_t i = 8; i < f.size(); ++i) {
    if (f[i].front() == '[') continue;  // [slot->-id] / [slot-<-id]: a migration under way
    const auto dash = f[i].find('-');
    const int first = std::stoi(f[i].substr(0, dash));
    const int last = dash == std::string::npos ? first : std::stoi(f[i].substr(dash + 1));
    n.slots.emplace_back(first, last);
  }
  return n;
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// The master of `slot` in the CLUSTER NODES of the node on `port`; 0 when none.
std::uint16_t master_seen_by(std::uint16_t port, int slot) {
  for (const auto& line : non_empty_lines(redis_cli(port, {"CLUSTER", "NODES"}))) {
    const auto n = parse_node_line(line);
    if (!n.master || n.failed) continue;
    for (const auto& [first, last] : n.slots) {
      if (slot >= first && slot <= last) return n.port;
    }
  }
  return 0;
}

}  // namespace

std::string redis_cli(std::uint16_t port, const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  child_options o;
  o.argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port)};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.stderr_path = "/dev/null";
  child_process p(std::move(o));
  if (!p.wait_for_exit(timeout)) throw std::runtime_error("redis-cli did not exit");
  std::string out = p.output();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

redis_cluster::redis_cluster(redis_cluster_options options) : options_(options) {
  const int total = options_.masters * (1 + options_.replicas_per_master);
  for (int i = 0; i < total; ++i) {
    // The bus port is chosen too: the default (port + 10000) may be taken or
    // past 65535. A port found free may be taken again before the node binds
    // it (by another process's connection, or drawn twice, bus and client):
    // the node then exits at once, and gets two new ports.
    for (int attempt = 1;; ++attempt) {
      try {
        servers_.push_back(std::make_unique<redis_server>(std::vector<std::string>{
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout",
            std::to_string(options_.node_timeout_ms), "--cluster-port", std::to_string(free_port())}));
        break;
      } catch (const std::runtime_error&) {
        if (attempt == 5) throw;
      }
    }
  }
  child_options create;
  create.argv = {"redis-cli", "--cluster", "create"};
  for (const auto port : ports()) create.argv.push_back("127.0.0.1:" + std::to_string(port));
  create.argv.insert(create.argv.end(),
                     {"--cluster-replicas", std::to_string(options_.replicas_per_master), "--cluster-yes"});
  child_process creating(std::move(create));
  const auto code = creating.wait_for_exit(60s);
  if (code != 0) throw std::runtime_error("redis-cli --cluster create failed:\n" + creating.output() + logs());
  wait_ok(60s);
}

redis_cluster::~redis_cluster() = default;

std::vector<std::uint16_t> redis_cluster::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& s : servers_) out.push_back(s->port());
  return out;
}

std::string redis_cluster::seeds() const {
  std::string out;
  for (const auto port : ports()) out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(port);
  return out;
}

redis_server& redis_cluster::node(std::uint16_t port) {
  for (auto& s : servers_) {
    if (s->port() == port) return *s;
  }
  throw std::runtime_error("no cluster node on port " + std::to_string(port));
}

std::uint16_t redis_cluster::any_live_port() {
  for (auto& s : servers_) {
    if (s->running() && redis_ping(s->port())) return s->port();
  }
  throw std::runtime_error("no cluster node is up");
}

std::vector<cluster_node_info> redis_cluster::nodes() {
  std::vector<cluster_node_info> out;
  for (const auto& line : non_empty_lines(redis_cli(any_live_port(), {"CLUSTER", "NODES"}))) {
    out.push_back(parse_node_line(line));
  }
  return out;
}

std::vector<std::uint16_t> redis_cluster::master_ports() {
  std::vector<std::uint16_t> out;
  for (const auto& n : nodes()) {
    if (n.master && !n.failed && !n.slots.empty()) out.push_back(n.port);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::uint16_t redis_cluster::master_of(int slot) {
  for (const auto& n : nodes()) {
    if (!n.master || n.failed) continue;
    for (const auto& [first, last] : n.slots) {
      if (slot >= first && slot <= last) return n.port;
    }
  }
  throw std::runtime_error("no master serves slot " + std::to_string(slot));
}

int redis_cluster::keyslot(const std::string& key) {
  return std::stoi(redis_cli(any_live_port(), {"CLUSTER", "KEYSLOT", key}));
}

std::string redis_cluster::id_of(std::uint16_t port) {
  return redis_cli(port, {"CLUSTER", "MYID"});
}

void redis_cluster::wait_ok(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    bool ok = true;
    for (auto& s : servers_) {
      if (!s->running()) continue;
      const auto info = redis_cli(s->port(), {"CLUSTER", "INFO"});
      if (!contains(info, "cluster_state:ok") || !contains(info, "cluster_slots_ok:16384")) {
        ok = false;
        last = std::to_string(s->port()) + ": " + info;
        break;
      }
      const auto replication = redis_cli(s->port(), {"INFO", "replication"});
      if (contains(replication, "role:slave") && !contains(replication, "master_link_status:up")) {
        ok = false;
        last = std::to_string(s->port()) + " replica not in sync";
        break;
      }
    }
    if (ok) {
      // Every live node names the same master for a slot of each range.
      for (const int slot : {0, 8000, 16383}) {
        std::uint16_t agreed = 0;
        for (auto& s : servers_) {
          if (!s->running()) continue;
          const auto seen = master_seen_by(s->port(), slot);
          if (seen == 0 || (agreed != 0 && seen != agreed)) ok = false;
          agreed = seen;
        }
      }
      if (ok) return;
      last = "nodes disagree on the slot map";
    }
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("cluster not ok in time (" + last + ")\n" + logs());
}

void redis_cluster::begin_migration(int slot, std::uint16_t to) {
  const auto from = master_of(slot);
  const auto s = std::to_string(slot);
  redis_cli(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", id_of(from)});
  redis_cli(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", id_of(to)});
}

std::size_t redis_cluster::migrate_keys(int slot, std::uint16_t to, std::size_t count) {
  const auto from = master_of(slot);
  const auto keys =
      non_empty_lines(redis_cli(from, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), std::to_string(count)}));
  if (keys.empty()) return 0;
  std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(to), "", "0", "5000", "KEYS"};
  migrate.insert(migrate.end(), keys.begin(), keys.end());
  const auto answer = redis_cli(from, migrate);
  if (answer != "OK") throw std::runtime_error("MIGRATE failed: " + answer);
  return keys.size();
}

void redis_cluster::end_migration(int slot, std::uint16_t to) {
  const auto from = master_of(slot);
  const auto s = std::to_string(slot);
  const auto to_id = id_of(to);
  // The target first, then the source (which starts answering MOVED), then the rest.
  redis_cli(to, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
  redis_cli(from, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
  for (const auto port : master_ports()) {
    if (port != to && port != from) redis_cli(port, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
  }
}

std::string redis_cluster::logs() const {
  std::string out;
  for (const auto& s : servers_) {
    out += "--- node " + std::to_string(s->port()) + "\n" + s->log();
  }
  return out;
}

}  // namespace bakewind::test
