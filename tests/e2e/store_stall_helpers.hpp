#pragma once
// Helpers of store_stall_test.cpp: two instances on one Redis and this
// binary's PostgreSQL, a kit of accounts, orders, locks and hand-offs made
// before a fault, every route of API.md as a probe sent during it, and the
// faults themselves (a frozen or slowed Redis, a frozen PostgreSQL).

#include "locks_helpers.hpp"
#include "support/postgres_server.hpp"
#include "support/ws_client.hpp"

#include <cstdio>
#include <functional>
#include <future>
#include <set>

namespace bakewind::test::stall_e2e {

using namespace locks_e2e;  // NOLINT: the lock and auth helpers are this file's vocabulary

/// Every route's worst case at the default settings with Redis away (the
/// issue's bound: the 1 s budget, one PostgreSQL call, and the rest).
inline constexpr auto redis_worst = 1500ms;
/// With PostgreSQL frozen: PG_TIMEOUT_MS (1 s here) and the Redis budget at most.
inline constexpr auto postgres_worst = 2500ms;

/// A request sent during a fault and the statuses it may rightly answer.
struct probe {
  std::string name;
  std::function<http_reply()> send;
  std::set<int> expected;
};

/// What a probe got, and how long it took.
struct outcome {
  std::string name;
  int status = 0;
  std::string body;
  std::chrono::milliseconds took{0};
  std::set<int> expected;
};

/// Sends every probe at once, one thread each; their outcomes in order.
inline std::vector<outcome> send_all(const std::vector<probe>& probes) {
  std::vector<std::future<outcome>> running;
  running.reserve(probes.size());
  for (const auto& p : probes) {
    running.push_back(std::async(std::launch::async, [&p] {
      const auto started = std::chrono::steady_clock::now();
      http_reply r = p.send();
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      return outcome{p.name, r.status, r.body, took, p.expected};
    }));
  }
  std::vector<outcome> out;
  for (auto& f : running) out.push_back(f.get());
  return out;
}

/// Prints the slowest answers, for the closing note's figures.
inline void print_slowest(const char* fault, std::vector<outcome> all) {
  std::sort(all.begin(), all.end(), [](const outcome& x, const outcome& y) { return x.took > y.took; });
  std::printf("[  stall   ] %s: %zu requests, slowest:", fault, all.size());
  for (std::size_t i = 0; i < all.size() && i < 5; ++i) {
    std::printf(" %s %d %lld ms;", all[i].name.c_str(), all[i].status, static_cast<long long>(all[i].took.count()));
  }
  std::printf("\n");
}

/// The sum of a metric's samples in `/metrics` (all its label sets).
inline double metric(std::uint16_t port, const std::string& name) {
  const auto r = http_call(port, "GET", "/metrics");
  double total = 0;
  std::istringstream lines(r.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != ' ' && line[name.size()] != '{') continue;
    total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

/// Whether `holds` is true within `timeout` (asked every 50 ms).
inline bool eventually(const std::function<bool()>& holds, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!holds()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

/// How often `what` occurs in `text`.
inline std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// ---------------------------------------------------------------- the faults

/// Redis frozen (SIGSTOP) for the object's lifetime.
struct frozen_redis {
  explicit frozen_redis(redis_server& r) : pid(r.pid()) { ::kill(pid, SIGSTOP); }
  ~frozen_redis() { ::kill(pid, SIGCONT); }
  int pid;
};

/// Redis held by one DEBUG SLEEP after another (each `each` long, from a
/// connection of its own) for the object's lifetime: slow, not dead.
class slowed_redis {
 public:
  slowed_redis(redis_server& r, std::chrono::milliseconds each) : port_(r.port()), each_(each) {
    sleeper_ = std::thread([this] {
      const std::string seconds = std::to_string(static_cast<double>(each_.count()) / 1000.0);
      while (!done_) redis_command(port_, {"DEBUG", "SLEEP", seconds});
    });
  }
  ~slowed_redis() {
    done_ = true;
    sleeper_.join();
  }

 private:
  std::uint16_t port_;
  std::chrono::milliseconds each_;
  std::atomic<bool> done_{false};
  std::thread sleeper_;
};

/// This binary's PostgreSQL frozen (every process of it) for the object's lifetime.
struct frozen_postgres {
  frozen_postgres() { postgres_server::shared().signal_all(SIGSTOP); }
  ~frozen_postgres() { postgres_server::shared().signal_all(SIGCONT); }
};

// ----------------------------------------------------------------- the world

/// What one wave of probes uses up, made before the fault.
struct wave_kit {
  std::string tag;
  account leaver;              ///< logs out during the fault
  account all_out;             ///< logs out everywhere during the fault
  std::string refresh_token;   ///< rotated during the fault
  std::string claim_session;   ///< a hand-off claimed during the fault
  std::string order_to_patch;  ///< held by the owner as "tab-p", patched during the fault
  std::string order_to_take;   ///< free; the staff member takes it during the fault
  std::string order_to_free;   ///< held by the owner as "tab-f", released during the fault
  std::string order_to_drop;   ///< deleted during the fault
  bool used = false;                                     ///< its probes were sent
  bool patched = false, taken = false, dropped = false;  ///< what the fault's answers said was done
};

/// Two instances at the default deadlines on one Redis (DEBUG allowed, for
/// a slow Redis) and the shared PostgreSQL, with rate limits on (their
/// script is a Redis call of login, register and claim) and high.
struct world {
  static env_list env(const std::string& db, const std::string& redis_url) {
    return service_env(db, redis_url,
                       {{"RATE_LIMITS", "on"},
                        {"RATE_LIMIT_LOGIN_PER_MIN", "100000"},
                        {"RATE_LIMIT_LOGIN_IP_PER_MIN", "100000"},
                        {"RATE_LIMIT_CLAIM_PER_MIN", "100000"},
                        {"RATE_LIMIT_REGISTER_PER_HOUR", "100000"}});
  }

  world()
      : redis(std::vector<std::string>{"--enable-debug-command", "yes"}),
        db(migrated_database("stall")),
        a(env(db, redis.url())),
        b(env(db, redis.url())),
        owner(register_owner(a.port(), "stall_owner")),
        staff(add_user(a.port(), owner, "staff", "stall_staff")) {}

  /// An order of the owner's bakery, made over HTTP.
  std::string new_order() const;
  /// A kit for one wave.
  wave_kit kit(const std::string& tag);
  /// Reads through both instances until Redis answers them from memory
  /// (markers set, the order copied in the cache), and makes the kits.
  void warm_up();

  /// Every route of API.md, as `port` serves it, using up `kits[tag]`:
  /// with Redis frozen or slow, each answers within redis_worst.
  std::vector<probe> probes_while_redis_is_away(std::uint16_t port, const std::string& tag);
  /// The same routes with PostgreSQL frozen and Redis answering.
  std::vector<probe> probes_while_postgres_is_away(std::uint16_t port);
  /// After the fault, on both instances: every revocation answered holds,
  /// every change answered shows, no lock was granted twice.
  void check_after_redis_came_back();

  redis_server redis;
  std::string db;
  service a;
  service b;
  account owner;
  account staff;
  std::string order_read;  ///< read by every wave, copied in the cache
  std::string order_held;  ///< held by the owner as "tab-h": renewed and read by every wave
  std::map<std::string, wave_kit> kits;
};

}  // namespace bakewind::test::stall_e2e
