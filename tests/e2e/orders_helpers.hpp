#pragma once
// Helpers for the black-box tests of issue 5, orders (API.md "Orders"): one
// shared service per test binary (each test works in its own new bakery, so
// tests do not see each other), order bodies and calls, exact checks of the
// `order` shape, and a raw Redis subscriber to watch the published events.

#include "auth_helpers.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace bakewind::test::orders_e2e {

using namespace auth_e2e;  // NOLINT: the auth helpers are this file's vocabulary
using namespace std::chrono_literals;

// ------------------------------------------------------------------- setting

/// A migrated database and one service on it with ORDER_LOCK_TTL = `ttl`.
struct instance {
  instance(const std::string& prefix, int ttl)
      : db(migrated_database(prefix)),
        svc(service_env(db, shared_redis().url(), {{"ORDER_LOCK_TTL", std::to_string(ttl)}})) {}
  std::uint16_t port() const { return svc.port(); }
  std::string db;
  service svc;
};

/// The service most tests share (ORDER_LOCK_TTL 60), started on first use.
inline instance& shared_instance() {
  static instance s("orders", 60);
  return s;
}

inline std::uint16_t port() { return shared_instance().port(); }

/// Creates a user of `caller`'s bakery through POST /api/v1/users and logs it in.
inline account add_user(const account& caller, const std::string& role, const std::string& tag) {
  const auto email = unique_email(tag);
  const std::string password = "pass-of-" + tag;
  const auto body = core::to_json(
      boost::json::object{{"email", email}, {"password", password}, {"name", "User " + tag}, {"role", role}});
  const auto r = authed(port(), "POST", "/api/v1/users", caller.access, body);
  if (r.status != 201) throw std::runtime_error("create user: " + std::to_string(r.status) + " " + r.body);
  return login(port(), email, password);
}

// ---------------------------------------------------------------------- calls

inline boost::json::object item(const std::string& product, long long quantity, long long unit_price_cents) {
  return {{"product", product}, {"quantity", quantity}, {"unitPriceCents", unit_price_cents}};
}

/// A valid POST body: one customer, two items (total 2*250 + 3*120 = 860).
inline boost::json::object order_body(const std::string& customer = "Ada") {
  return {{"customerName", customer}, {"items", boost::json::array{item("Baguette", 2, 250), item("Croissant", 3, 120)}}};
}

inline std::string order_path(const std::string& id) { return "/api/v1/orders/" + id; }

inline http_reply create_order(const account& a, const boost::json::object& body) {
  return authed(port(), "POST", "/api/v1/orders", a.access, core::to_json(body));
}

/// Creates an order; throws unless 201. The order JSON.
inline boost::json::object make_order(const account& a, const std::string& customer = "Ada") {
  const auto r = create_order(a, order_body(customer));
  if (r.status != 201) throw std::runtime_error("create order: " + std::to_string(r.status) + " " + r.body);
  return json_of(r);
}

inline std::string id_of(const boost::json::object& o) { return std::string(o.at("id").as_string()); }

inline http_reply get_order(const account& a, const std::string& id) {
  return authed(port(), "GET", order_path(id), a.access);
}

inline http_reply list_orders(const account& a, const std::string& query = {}) {
  return authed(port(), "GET", "/api/v1/orders" + query, a.access);
}

/// PATCH with `X-Lock-Session: session` (no header when `session` is empty).
inline http_reply patch_order(const account& a, const std::string& id, const boost::json::object& body,
                              const std::string& session) {
  const std::string header = session.empty() ? std::string() : "X-Lock-Session: " + session + "\r\n";
  return authed(port(), "PATCH", order_path(id), a.access, core::to_json(body), header);
}

inline http_reply delete_order(const account& a, const std::string& id) {
  return authed(port(), "DELETE", order_path(id), a.access);
}

inline http_reply acquire(const account& a, const std::string& id, const std::string& session,
                          std::uint16_t on = 0) {
  return authed(on != 0 ? on : port(), "POST", order_path(id) + "/lock", a.access,
                core::to_json(boost::json::object{{"sessionId", session}}));
}

/// Acquires the lock; throws unless 201. The lockInfo.
inline boost::json::object lock_order(const account& a, const std::string& id, const std::string& session,
                                      std::uint16_t on = 0) {
  const auto r = acquire(a, id, session, on);
  if (r.status != 201) throw std::runtime_error("lock: " + std::to_string(r.status) + " " + r.body);
  return json_of(r);
}

inline http_reply release(const account& a, const std::string& id, const std::string& session) {
  return authed(port(), "DELETE", order_path(id) + "/lock?sessionId=" + session, a.access);
}

// ------------------------------------------------------------------ checking

/// An `order` of API.md: exactly its thirteen fields, typed.
inline ::testing::AssertionResult is_order(const boost::json::object& o) {
  const std::set<std::string> expected{"id",      "bakeryId", "customerName", "items",     "totalCents",
                                       "status",  "dueAt",    "notes",        "version",   "createdBy",
                                       "createdAt", "updatedAt", "lock"};
  std::set<std::string> keys;
  for (const auto& kv : o) keys.emplace(kv.key());
  if (keys != expected) return ::testing::AssertionFailure() << "order fields differ: " << core::to_json(o);
  auto fail = [&](const char* what) { return ::testing::AssertionFailure() << what << ": " << core::to_json(o); };
  if (!o.at("id").is_string() || !is_uuid(std::string(o.at("id").as_string()))) return fail("id");
  if (!o.at("bakeryId").is_string() || !is_uuid(std::string(o.at("bakeryId").as_string()))) return fail("bakeryId");
  if (!o.at("createdBy").is_string() || !is_uuid(std::string(o.at("createdBy").as_string()))) return fail("createdBy");
  if (!o.at("customerName").is_string() || !o.at("notes").is_string() || !o.at("status").is_string()) {
    return fail("strings");
  }
  if (!o.at("totalCents").is_int64() || !o.at("version").is_int64()) return fail("integers");
  for (const char* k : {"createdAt", "updatedAt"}) {
    if (!o.at(k).is_string() || !is_iso_ms(std::string(o.at(k).as_string()))) return fail(k);
  }
  if (!o.at("dueAt").is_null() && !(o.at("dueAt").is_string() && is_iso_ms(std::string(o.at("dueAt").as_string())))) {
    return fail("dueAt");
  }
  if (!o.at("lock").is_null() && !o.at("lock").is_object()) return fail("lock");
  if (!o.at("items").is_array()) return fail("items");
  long long total = 0;
  for (const auto& i : o.at("items").as_array()) {
    if (!i.is_object() || i.as_object().size() != 3 || !i.as_object().at("product").is_string() ||
        !i.as_object().at("quantity").is_int64() || !i.as_object().at("unitPriceCents").is_int64()) {
      return fail("item");
    }
    total += i.as_object().at("quantity").as_int64() * i.as_object().at("unitPriceCents").as_int64();
  }
  if (total != o.at("totalCents").as_int64()) return fail("totalCents is not the sum of the items");
  return ::testing::AssertionSuccess();
}

/// 409 `Order lock not held` with `lock` equal to `lock` (null when empty).
inline ::testing::AssertionResult is_lock_not_held(const http_reply& r,
                                                   const std::optional<boost::json::object>& lock) {
  auto base = is_error(r, 409, "Conflict", "Order lock not held");
  if (!base) return base;
  const auto body = json_of(r);
  const auto* l = body.if_contains("lock");
  if (l == nullptr) return ::testing::AssertionFailure() << "no lock field: " << r.body;
  if (!lock) {
    if (!l->is_null()) return ::testing::AssertionFailure() << "lock is not null: " << r.body;
    return ::testing::AssertionSuccess();
  }
  if (!l->is_object()) return ::testing::AssertionFailure() << "lock is not an object: " << r.body;
  // The holder's lockInfo; lastActivityAt/expiresAt may have moved on by a renewal.
  for (const char* k : {"orderId", "userId", "userName", "sessionId", "acquiredAt"}) {
    if (l->as_object().if_contains(k) == nullptr || l->as_object().at(k) != lock->at(k)) {
      return ::testing::AssertionFailure() << "lock." << k << " differs: " << r.body << " vs " << core::to_json(*lock);
    }
  }
  if (l->as_object().size() != 7) return ::testing::AssertionFailure() << "lockInfo has other fields: " << r.body;
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult is_order_not_found(const http_reply& r) {
  return is_error(r, 404, "Not Found", "Order not found");
}

// ------------------------------------------------------------- Redis events

/// A raw RESP connection SUBSCRIBEd to the events channel; collects what
/// arrives as bytes and looks for text in it.
class event_watch {
 public:
  explicit event_watch(std::uint16_t redis_port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(redis_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("redis connect failed");
    }
    const std::string cmd = "*2\r\n$9\r\nSUBSCRIBE\r\n$15\r\nbakewind:events\r\n";
    if (::send(fd_, cmd.data(), cmd.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(cmd.size())) {
      throw std::runtime_error("redis send failed");
    }
    if (!wait_for({"subscribe", "bakewind:events"}, 5s)) throw std::runtime_error("not subscribed");
  }
  ~event_watch() { ::close(fd_); }
  event_watch(const event_watch&) = delete;
  event_watch& operator=(const event_watch&) = delete;

  /// True once one received message contains every one of `parts`.
  bool wait_for(const std::vector<std::string>& parts, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      std::size_t start = 0;
      while (start < seen_.size()) {
        const auto end = seen_.find("\r\n*", start + 1);
        const auto message = seen_.substr(start, end == std::string::npos ? std::string::npos : end - start);
        bool all = true;
        for (const auto& p : parts) all = all && message.find(p) != std::string::npos;
        if (all) return true;
        if (end == std::string::npos) break;
        start = end;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char chunk[8192];
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      seen_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string seen_;
};


}  // namespace bakewind::test::orders_e2e
