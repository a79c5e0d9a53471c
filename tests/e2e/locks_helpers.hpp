#pragma once
// Helpers for the black-box tests of issue 5, order locks (API.md "Order
// locks"): orders made directly in PostgreSQL (the Orders routes are not
// needed), the five lock routes over HTTP, exact checks of lockInfo and of the
// 409 body, a crowd of 100 users of one bakery, and a race of concurrent
// acquisitions with one connection per user.

#include "auth_helpers.hpp"
#include "support/history.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace bakewind::test::locks_e2e {

using namespace auth_e2e;  // NOLINT: the auth helpers are this file's vocabulary
using namespace std::chrono_literals;

// ------------------------------------------------------------------- setting

/// An order of `owner`'s bakery, created by `owner`, straight in PostgreSQL.
inline std::string create_order(const std::string& db, const account& owner) {
  return sql_value(db, "INSERT INTO orders (bakery_id, customer_name, items, total_cents, created_by) VALUES ('" +
                           owner.bakery_id + "', 'x', '[]', 0, '" + owner.id + "') RETURNING id");
}

inline std::string user_body(const std::string& email, const std::string& password, const std::string& name,
                             const std::string& role) {
  return core::to_json(boost::json::object{{"email", email}, {"password", password}, {"name", name}, {"role", role}});
}

/// Creates a user of `caller`'s bakery through POST /api/v1/users and logs it in; throws unless 201 and 200.
inline account add_user(std::uint16_t port, const account& caller, const std::string& role, const std::string& tag) {
  const auto email = unique_email(tag);
  const std::string password = "pass-of-" + tag;
  const auto r = authed(port, "POST", "/api/v1/users", caller.access, user_body(email, password, "User " + tag, role));
  if (r.status != 201) throw std::runtime_error("create user: " + std::to_string(r.status) + " " + r.body);
  return login(port, email, password);
}

/// For a service whose test races acquisitions while PostgreSQL is not the
/// store at fault: the product's default PG_TIMEOUT_MS (5 s), not the 1 s
/// of the fault tests, so that many writes at once on a machine busy with
/// other suites are answered as in production instead of timing out with
/// 503 (seen on loaded runs).
inline const std::pair<std::string, std::string> k_postgres_not_at_fault{"PG_TIMEOUT_MS", "5000"};

/// A migrated database and one service on it (Redis `redis_url`), ORDER_LOCK_TTL = `ttl`.
struct instance {
  instance(const std::string& prefix, int ttl, const std::string& redis_url, env_list extra = {})
      : db(migrated_database(prefix)), svc(env(db, redis_url, ttl, std::move(extra))) {}
  static env_list env(const std::string& db, const std::string& redis_url, int ttl, env_list extra = {}) {
    extra.emplace_back("ORDER_LOCK_TTL", std::to_string(ttl));
    return service_env(db, redis_url, std::move(extra));
  }
  std::uint16_t port() const { return svc.port(); }
  std::string db;
  service svc;
};

// ---------------------------------------------------------------------- calls

inline std::string lock_path(const std::string& order_id) {
  return "/api/v1/orders/" + order_id + "/lock";
}

inline std::string session_body(const std::string& session) {
  return core::to_json(boost::json::object{{"sessionId", session}});
}

inline http_reply acquire(std::uint16_t port, const account& a, const std::string& order, const std::string& session) {
  return authed(port, "POST", lock_path(order), a.access, session_body(session));
}

inline http_reply renew(std::uint16_t port, const account& a, const std::string& order, const std::string& session) {
  return authed(port, "PUT", lock_path(order), a.access, session_body(session));
}

inline http_reply release(std::uint16_t port, const account& a, const std::string& order, const std::string& session,
                          bool force = false) {
  return authed(port, "DELETE", lock_path(order) + "?sessionId=" + session + (force ? "&force=true" : ""), a.access);
}

inline http_reply lock_status(std::uint16_t port, const account& a, const std::string& order) {
  return authed(port, "GET", lock_path(order), a.access);
}

inline http_reply list_locks(std::uint16_t port, const account& a) {
  return authed(port, "GET", "/api/v1/locks", a.access);
}

// ------------------------------------------------------------------- checking

/// `o` is a lockInfo of exactly the seven fields (plus those in `also`), for
/// this order, user and session, with ISO timestamps and acquiredAt <=
/// lastActivityAt < expiresAt.
inline ::testing::AssertionResult is_lock_info(const boost::json::object& o, const std::string& order,
                                               const account& who, const std::string& session,
                                               const std::set<std::string>& also = {}) {
  std::set<std::string> want{"orderId", "userId", "userName", "sessionId", "acquiredAt", "expiresAt", "lastActivityAt"};
  want.insert(also.begin(), also.end());
  std::set<std::string> got;
  for (const auto& kv : o) got.insert(std::string(kv.key()));
  if (got != want) return ::testing::AssertionFailure() << "lockInfo has other fields: " << core::to_json(o);
  for (const char* k : {"orderId", "userId", "userName", "sessionId", "acquiredAt", "expiresAt", "lastActivityAt"}) {
    if (!o.at(k).is_string()) return ::testing::AssertionFailure() << k << " is not a string: " << core::to_json(o);
  }
  auto s = [&](const char* k) { return std::string(o.at(k).as_string()); };
  if (s("orderId") != order)
    return ::testing::AssertionFailure() << "orderId is not " << order << ": " << core::to_json(o);
  if (s("userId") != who.id)
    return ::testing::AssertionFailure() << "userId is not " << who.id << ": " << core::to_json(o);
  const std::string name(who.user.at("name").as_string());
  if (s("userName") != name)
    return ::testing::AssertionFailure() << "userName is not " << name << ": " << core::to_json(o);
  if (s("sessionId") != session) {
    return ::testing::AssertionFailure() << "sessionId is not " << session << ": " << core::to_json(o);
  }
  for (const char* k : {"acquiredAt", "expiresAt", "lastActivityAt"}) {
    if (!is_iso_ms(s(k))) return ::testing::AssertionFailure() << k << " is not ISO with ms: " << core::to_json(o);
  }
  const auto acquired = iso_to_epoch(s("acquiredAt"));
  const auto last = iso_to_epoch(s("lastActivityAt"));
  const auto expires = iso_to_epoch(s("expiresAt"));
  if (!(acquired <= last && last < expires)) {
    return ::testing::AssertionFailure() << "not acquiredAt <= lastActivityAt < expiresAt: " << core::to_json(o);
  }
  return ::testing::AssertionSuccess();
}

/// 201/200 with a lockInfo body.
inline ::testing::AssertionResult is_lock_reply(const http_reply& r, int status, const std::string& order,
                                                const account& who, const std::string& session) {
  if (r.status != status) {
    return ::testing::AssertionFailure() << "status " << r.status << " instead of " << status << ", body " << r.body;
  }
  const auto parsed = core::parse_json(r.body);
  if (!parsed || !parsed->is_object()) return ::testing::AssertionFailure() << "body not a JSON object: " << r.body;
  return is_lock_info(parsed->as_object(), order, who, session);
}

/// 409 {"statusCode":409,"error":"Conflict","message":"Order is locked by another user","lock":lockInfo}
/// naming `holder` with `session`; exactly these four fields.
inline ::testing::AssertionResult is_locked_by(const http_reply& r, const std::string& order, const account& holder,
                                               const std::string& session) {
  if (auto e = is_error(r, 409, "Conflict", "Order is locked by another user"); !e) return e;
  const auto o = json_of(r);
  std::set<std::string> got;
  for (const auto& kv : o) got.insert(std::string(kv.key()));
  if (got != std::set<std::string>{"statusCode", "error", "message", "lock"}) {
    return ::testing::AssertionFailure() << "409 has other fields: " << r.body;
  }
  if (!o.at("lock").is_object()) return ::testing::AssertionFailure() << "lock is not an object: " << r.body;
  return is_lock_info(o.at("lock").as_object(), order, holder, session);
}

inline std::string field(const http_reply& r, const char* key) {
  const auto o = json_of(r);
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) throw std::runtime_error(std::string("no string ") + key + " in " + r.body);
  return std::string(v->as_string());
}

inline double epoch_field(const http_reply& r, const char* key) {
  return iso_to_epoch(field(r, key));
}

/// The Redis key of an order's lock (`order_lock:{<bakeryId>}:<orderId>`), found
/// by its order id; "" when there is none.
inline std::string redis_lock_key(std::uint16_t redis_port, const std::string& order) {
  const auto keys = redis_command(redis_port, {"KEYS", "order_lock:*:" + order});
  return keys.items.empty() ? std::string() : keys.items.front();
}

/// The Redis entry of an order's lock: {userId, sessionId, ...}, or nullopt when absent.
inline std::optional<boost::json::object> redis_lock(std::uint16_t redis_port, const std::string& order) {
  const auto key = redis_lock_key(redis_port, order);
  if (key.empty()) return std::nullopt;
  const auto v = redis_command(redis_port, {"GET", key});
  if (v.null) return std::nullopt;
  const auto parsed = core::parse_json(v.text);
  if (!parsed || !parsed->is_object()) throw std::runtime_error("order_lock value is not JSON: " + v.text);
  return parsed->as_object();
}

/// The order_locks row of an order as {user_id, session_id}, or nullopt.
inline std::optional<std::pair<std::string, std::string>> pg_lock(const std::string& db, const std::string& order) {
  const auto rows = sql(db, "SELECT user_id::text, session_id FROM order_locks WHERE order_id = '" + order + "'");
  if (rows.empty()) return std::nullopt;
  return std::make_pair(rows[0][0], rows[0][1]);
}

// ---------------------------------------------------------------------- crowd

/// One bakery with 100 users: an owner (registered) and 99 staff (POST
/// /api/v1/users), each logged in. Made once per test binary, on its own
/// database, through a service that is stopped again; tests start their own
/// services on `db` (same JWT secret, so the tokens stay valid).
struct crowd {
  std::string db;
  std::vector<account> users;  ///< [0] is the owner
};

inline crowd& the_crowd() {
  static crowd c = [] {
    const auto t0 = std::chrono::steady_clock::now();
    crowd out;
    out.db = migrated_database("locks_crowd");
    service svc(service_env(out.db, shared_redis().url(), {{"THREADS", "4"}}));
    const auto owner = register_owner(svc.port(), "crowd");
    out.users.resize(100);
    out.users[0] = owner;
    std::atomic<int> next{1};
    std::mutex failure_mutex;
    std::string failure;
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < 100; i = next++) {
          try {
            out.users[static_cast<std::size_t>(i)] = add_user(svc.port(), owner, "staff", "crowd" + std::to_string(i));
          } catch (const std::exception& e) {
            const std::lock_guard lock(failure_mutex);
            failure = e.what();
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    if (!failure.empty()) throw std::runtime_error("crowd: " + failure);
    std::cerr << "[ info     ] crowd of 100 users made in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
              << " ms\n";
    return out;
  }();
  return c;
}

// ----------------------------------------------------------------------- race

struct race_result {
  std::vector<int> status;        ///< per user
  std::vector<std::string> body;  ///< per user
  std::vector<history::operation> ops;  ///< per user who sent: the request as a history records it
  int count(int s) const { return static_cast<int>(std::count(status.begin(), status.end(), s)); }
  int server_errors() const {
    return static_cast<int>(std::count_if(status.begin(), status.end(), [](int s) { return s == 0 || s >= 500; }));
  }
  /// Index of the single 201, or -1.
  int winner() const {
    for (std::size_t i = 0; i < status.size(); ++i) {
      if (status[i] == 201) return static_cast<int>(i);
    }
    return -1;
  }
  std::string summary() const {
    std::map<int, int> by;
    for (int s : status) ++by[s];
    std::string out;
    for (auto [s, n] : by) out += std::to_string(s) + " x " + std::to_string(n) + "; ";
    for (std::size_t i = 0; i < status.size(); ++i) {
      if (status[i] != 201 && status[i] != 409) {
        out += "first odd reply: " + std::to_string(status[i]) + " " + body[i];
        break;
      }
    }
    return out;
  }
};

/// Every user in `users` tries POST .../lock at once, user i on
/// orders[i % orders.size()] (session "s-<i>"), one thread and one fresh
/// connection per user, connected before a common start; user i goes to
/// ports[i % ports.size()].
inline race_result race(const std::vector<std::uint16_t>& ports, const std::vector<account>& users,
                        const std::vector<std::string>& orders) {
  const auto n = users.size();
  race_result out;
  out.status.assign(n, 0);
  out.body.assign(n, {});
  out.ops.assign(n, {});
  std::latch connected(static_cast<std::ptrdiff_t>(n));
  std::latch go(1);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<raw_connection> c;
      try {
        c = std::make_unique<raw_connection>(ports[i % ports.size()]);
      } catch (const std::exception& e) {
        out.body[i] = e.what();
      }
      connected.count_down();
      go.wait();
      if (!c) return;
      const auto body = session_body("s-" + std::to_string(i));
      const std::string req = "POST " + lock_path(orders[i % orders.size()]) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                              bearer(users[i].access) +
                              "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body;
      auto& op = out.ops[i];
      op = {"order:" + orders[i % orders.size()], "acquire", "s-" + std::to_string(i)};
      op.start = std::chrono::steady_clock::now();
      if (!c->send(req)) {
        out.body[i] = "send failed";
        return;
      }
      const auto reply = c->read_reply(30s);
      if (!reply) {
        out.body[i] = "no reply";
        return;
      }
      op.status = reply->status;
      op.end = std::chrono::steady_clock::now();
      out.status[i] = reply->status;
      out.body[i] = reply->body;
    });
  }
  connected.wait();
  go.count_down();
  for (auto& t : threads) t.join();
  return out;
}

/// Every user in `users` tries POST .../lock on `order` at once (as above).
inline race_result race(const std::vector<std::uint16_t>& ports, const std::vector<account>& users,
                        const std::string& order) {
  return race(ports, users, std::vector<std::string>{order});
}

/// The race went right: one 201, the rest 409 naming the winner, no 5xx.
inline ::testing::AssertionResult one_winner(const race_result& r, const std::string& order,
                                             const std::vector<account>& users) {
  if (r.count(201) != 1 || r.count(409) != static_cast<int>(users.size()) - 1 || r.server_errors() != 0) {
    return ::testing::AssertionFailure() << "not exactly one 201 and " << users.size() - 1 << " x 409: " << r.summary();
  }
  const auto w = static_cast<std::size_t>(r.winner());
  const http_reply won{201, {}, r.body[w]};
  if (auto e = is_lock_reply(won, 201, order, users[w], "s-" + std::to_string(w)); !e) return e;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (i == w) continue;
    const http_reply lost{409, {}, r.body[i]};
    // Every 409 names the one winner: naming anyone else would report a
    // holder who never got the lock.
    if (auto e = is_locked_by(lost, order, users[w], "s-" + std::to_string(w)); !e) {
      return ::testing::AssertionFailure() << "loser " << i << ": " << e.message();
    }
  }
  // And as a recorded history: every answer explained by one holder at a time.
  std::vector<history::operation> sent;
  std::copy_if(r.ops.begin(), r.ops.end(), std::back_inserter(sent), [](const auto& op) { return !op.object.empty(); });
  if (const auto v = history::check(sent); !v.holds()) return ::testing::AssertionFailure() << v.describe();
  return ::testing::AssertionSuccess();
}

}  // namespace bakewind::test::locks_e2e
