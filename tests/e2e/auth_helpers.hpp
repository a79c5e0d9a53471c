#pragma once
// Helpers for the black-box tests of issue 4 (Auth and Users of API.md):
// accounts and tokens over HTTP, hand-made JWTs (base64url + HMAC-SHA256,
// written here on purpose so the tests do not share code with src/auth), a
// raw RESP client to look at Redis keys, and leak checks. Everything throws
// std::runtime_error on a broken precondition so a test fails loudly.

#include "core/json.hpp"
#include "service.hpp"
#include "support/http_client.hpp"
#include "support/postgres_server.hpp"
#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bakewind::test::auth_e2e {

using env_list = std::vector<std::pair<std::string, std::string>>;

inline constexpr const char* k_secret = "e2e-jwt-secret-0123456789abcdef-0123456789";
inline constexpr const char* k_other_secret = "some-other-secret-not-the-service-one-987654321";

// ---------------------------------------------------------------- environment

/// One Redis for the tests that neither stop it nor count rate limits in it.
inline redis_server& shared_redis() {
  static redis_server server;
  return server;
}

using test::migrated_database;

/// The service environment: this database and Redis, a known JWT secret, rate
/// limits off; `extra` is appended (later entries win in child_process).
inline env_list service_env(const std::string& database_url, const std::string& redis_url, env_list extra = {}) {
  env_list env{{"DATABASE_URL", database_url},
               {"REDIS_URL", redis_url},
               {"PG_TIMEOUT_MS", "1000"},
               {"JWT_SECRET", k_secret},
               {"RATE_LIMITS", "off"}};
  for (auto& e : extra) {
    bool replaced = false;
    for (auto& [k, v] : env) {
      if (k == e.first) {
        v = e.second;
        replaced = true;
      }
    }
    if (!replaced) env.push_back(std::move(e));
  }
  return env;
}

/// A migrated database and a service on it and the shared Redis, with `extra`
/// settings.
struct instance {
  explicit instance(const std::string& prefix, env_list extra = {})
      : db(migrated_database(prefix)), svc(service_env(db, shared_redis().url(), std::move(extra))) {}
  std::uint16_t port() const { return svc.port(); }
  std::string db;
  service svc;
};

// ---------------------------------------------------------------------- HTTP

inline boost::json::object json_of(const http_reply& r) {
  const auto parsed = core::parse_json(r.body);
  if (!parsed || !parsed->is_object()) {
    throw std::runtime_error("not a JSON object (status " + std::to_string(r.status) + "): " + r.body);
  }
  return parsed->as_object();
}

inline std::string bearer(const std::string& token) { return "Authorization: Bearer " + token + "\r\n"; }

/// POST with a JSON body.
inline http_reply post(std::uint16_t port, const std::string& target, const std::string& body,
                       const std::string& headers = {}) {
  return http_call(port, "POST", target, body, "Content-Type: application/json\r\n" + headers);
}

/// A call with `Authorization: Bearer token` (and a JSON body when given).
inline http_reply authed(std::uint16_t port, const std::string& method, const std::string& target,
                         const std::string& token, const std::string& body = {}, const std::string& headers = {}) {
  std::string h = bearer(token) + headers;
  if (!body.empty()) h += "Content-Type: application/json\r\n";
  return http_call(port, method, target, body, h);
}

inline http_reply me(std::uint16_t port, const std::string& token) {
  return authed(port, "GET", "/api/v1/auth/me", token);
}

inline http_reply refresh(std::uint16_t port, const std::string& refresh_token) {
  return post(port, "/api/v1/auth/refresh", core::to_json(boost::json::object{{"refreshToken", refresh_token}}));
}

/// POST /api/v1/auth/transfer: a hand-off of `refresh_token`, as `access`'s holder.
inline http_reply transfer(std::uint16_t port, const std::string& access, const std::string& refresh_token) {
  return authed(port, "POST", "/api/v1/auth/transfer", access,
                core::to_json(boost::json::object{{"refreshToken", refresh_token}}));
}

inline std::string js(const std::string& s) { return core::to_json(boost::json::value(s)); }

/// "e2e-<tag>-<n>-<pid>@example.com", unique in this run.
inline std::string unique_email(const std::string& tag) {
  static std::atomic<int> n{0};
  return "e2e-" + tag + "-" + std::to_string(++n) + "-" + std::to_string(::getpid()) + "@example.com";
}

struct account {
  std::string email;
  std::string password;
  std::string id;
  std::string bakery_id;
  std::string role;
  std::string access;
  std::string refresh;
  boost::json::object user;
};

inline std::string register_body(const std::string& email, const std::string& password, const std::string& name,
                                 const std::string& bakery) {
  return core::to_json(
      boost::json::object{{"email", email}, {"password", password}, {"name", name}, {"bakeryName", bakery}});
}

inline std::string login_body(const std::string& email, const std::string& password) {
  return core::to_json(boost::json::object{{"email", email}, {"password", password}});
}

/// Fills an account from a 200/201 {user, accessToken, refreshToken} reply.
inline account account_from(const http_reply& r, const std::string& email, const std::string& password) {
  const auto body = json_of(r);
  account a;
  a.email = email;
  a.password = password;
  a.user = body.at("user").as_object();
  a.id = std::string(a.user.at("id").as_string());
  a.bakery_id = std::string(a.user.at("bakeryId").as_string());
  a.role = std::string(a.user.at("role").as_string());
  a.access = std::string(body.at("accessToken").as_string());
  a.refresh = std::string(body.at("refreshToken").as_string());
  return a;
}

/// Registers a new owner (and bakery); throws unless 201.
inline account register_owner(std::uint16_t port, const std::string& tag = "owner",
                              const std::string& password = "correct horse battery") {
  const auto email = unique_email(tag);
  const auto r = post(port, "/api/v1/auth/register", register_body(email, password, "Owner " + tag, "Bakery " + tag));
  if (r.status != 201) throw std::runtime_error("register: " + std::to_string(r.status) + " " + r.body);
  return account_from(r, email, password);
}

/// Logs in; throws unless 200.
inline account login(std::uint16_t port, const std::string& email, const std::string& password,
                     const std::string& headers = {}) {
  const auto r = post(port, "/api/v1/auth/login", login_body(email, password), headers);
  if (r.status != 200) throw std::runtime_error("login: " + std::to_string(r.status) + " " + r.body);
  return account_from(r, email, password);
}

/// A service on its own Redis (so that a test can look at, or count, its keys)
/// and its own migrated database, with one registered owner.
struct solo_service {
  explicit solo_service(const std::string& prefix, env_list extra = {})
      : db(migrated_database(prefix)), svc(service_env(db, redis.url(), std::move(extra))) {
    owner = register_owner(svc.port(), prefix);
  }
  std::uint16_t port() const { return svc.port(); }
  redis_server redis;
  std::string db;
  service svc;
  account owner;
};

// ------------------------------------------------------------------ checking

/// NestJS error shape with an exact message.
inline ::testing::AssertionResult is_error(const http_reply& r, int status, const std::string& error,
                                           const std::string& message) {
  if (r.status != status) {
    return ::testing::AssertionFailure() << "status " << r.status << " instead of " << status << ", body " << r.body;
  }
  const auto parsed = core::parse_json(r.body);
  if (!parsed || !parsed->is_object()) return ::testing::AssertionFailure() << "body not JSON: " << r.body;
  const auto& o = parsed->as_object();
  const auto* sc = o.if_contains("statusCode");
  const auto* er = o.if_contains("error");
  const auto* me = o.if_contains("message");
  if (sc == nullptr || !sc->is_int64() || sc->as_int64() != status) {
    return ::testing::AssertionFailure() << "statusCode wrong: " << r.body;
  }
  if (er == nullptr || !er->is_string() || er->as_string() != error) {
    return ::testing::AssertionFailure() << "error is not \"" << error << "\": " << r.body;
  }
  if (me == nullptr || !me->is_string() || me->as_string() != message) {
    return ::testing::AssertionFailure() << "message is not \"" << message << "\": " << r.body;
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult is_unauthorized(const http_reply& r, const std::string& message = "Unauthorized") {
  return is_error(r, 401, "Unauthorized", message);
}

inline ::testing::AssertionResult is_revoked(const http_reply& r) {
  return is_error(r, 401, "Unauthorized", "Token has been revoked");
}

/// 400 in NestJS shape, `message` a non-empty string or a non-empty array of non-empty strings.
inline ::testing::AssertionResult is_bad_request(const http_reply& r) {
  if (r.status != 400) {
    return ::testing::AssertionFailure() << "status " << r.status << " instead of 400, body " << r.body;
  }
  const auto parsed = core::parse_json(r.body);
  if (!parsed || !parsed->is_object()) return ::testing::AssertionFailure() << "body not JSON: " << r.body;
  const auto& o = parsed->as_object();
  const auto* sc = o.if_contains("statusCode");
  const auto* er = o.if_contains("error");
  const auto* me = o.if_contains("message");
  if (sc == nullptr || !sc->is_int64() || sc->as_int64() != 400) {
    return ::testing::AssertionFailure() << "statusCode wrong: " << r.body;
  }
  if (er == nullptr || !er->is_string() || er->as_string() != "Bad Request") {
    return ::testing::AssertionFailure() << "error is not \"Bad Request\": " << r.body;
  }
  if (me == nullptr) return ::testing::AssertionFailure() << "no message: " << r.body;
  if (me->is_string() && !me->as_string().empty()) return ::testing::AssertionSuccess();
  if (me->is_array() && !me->as_array().empty()) {
    for (const auto& m : me->as_array()) {
      if (!m.is_string() || m.as_string().empty()) {
        return ::testing::AssertionFailure() << "message array holds a non-string: " << r.body;
      }
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "message empty or wrong type: " << r.body;
}

inline bool is_uuid(const std::string& s) {
  static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", std::regex::icase);
  return std::regex_match(s, re);
}

inline bool is_iso_ms(const std::string& s) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return std::regex_match(s, re);
}

/// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS.mmmZ".
inline double iso_to_epoch(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    throw std::runtime_error("not an ISO timestamp: " + s);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(::timegm(&tm)) + ms / 1000.0;
}

inline double now_epoch() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// A `user` object of API.md: the six fields, typed, and no password field.
inline ::testing::AssertionResult is_user(const boost::json::object& u) {
  for (const char* k : {"id", "email", "name", "role", "bakeryId", "createdAt"}) {
    const auto* v = u.if_contains(k);
    if (v == nullptr || !v->is_string()) {
      return ::testing::AssertionFailure() << "user." << k << " missing or not a string: " << core::to_json(u);
    }
  }
  if (!is_uuid(std::string(u.at("id").as_string())) || !is_uuid(std::string(u.at("bakeryId").as_string()))) {
    return ::testing::AssertionFailure() << "user ids are not UUIDs: " << core::to_json(u);
  }
  if (!is_iso_ms(std::string(u.at("createdAt").as_string()))) {
    return ::testing::AssertionFailure() << "createdAt is not ISO with ms and Z: " << core::to_json(u);
  }
  for (const auto& kv : u) {
    std::string key(kv.key());
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key.find("password") != std::string::npos || key.find("hash") != std::string::npos) {
      return ::testing::AssertionFailure() << "user has a field " << kv.key() << ": " << core::to_json(u);
    }
  }
  return ::testing::AssertionSuccess();
}

/// `text` contains none of `secrets` (empty ones skipped) and no argon2 hash.
inline ::testing::AssertionResult free_of(const std::string& text, const std::vector<std::string>& secrets) {
  if (text.find("$argon2") != std::string::npos) {
    return ::testing::AssertionFailure() << "contains an argon2 hash: " << text.substr(text.find("$argon2"), 120);
  }
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    const auto at = text.find(s);
    if (at != std::string::npos) {
      const auto from = at > 120 ? at - 120 : 0;
      return ::testing::AssertionFailure() << "contains the secret \"" << s << "\" in: " << text.substr(from, 400);
    }
  }
  return ::testing::AssertionSuccess();
}

/// The Retry-After header as whole seconds, or -1 when absent or not an integer.
inline long retry_after(const http_reply& r) {
  const auto v = r.header("retry-after");
  if (v.empty() || v.size() > 9) return -1;
  for (char c : v) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return -1;
  }
  return std::stol(v);
}

/// 429 with Retry-After in [lo, hi] and message "Too Many Requests".
inline ::testing::AssertionResult is_too_many(const http_reply& r, long lo = 1, long hi = 60) {
  if (r.status != 429) {
    return ::testing::AssertionFailure() << "status " << r.status << " instead of 429, body " << r.body;
  }
  const auto ra = retry_after(r);
  if (ra < lo || ra > hi) {
    return ::testing::AssertionFailure() << "Retry-After \"" << r.header("retry-after") << "\" not an integer in ["
                                         << lo << ", " << hi << "]";
  }
  const auto parsed = core::parse_json(r.body);
  if (!parsed || !parsed->is_object()) return ::testing::AssertionFailure() << "body not JSON: " << r.body;
  const auto& o = parsed->as_object();
  const auto* sc = o.if_contains("statusCode");
  const auto* me = o.if_contains("message");
  if (sc == nullptr || !sc->is_int64() || sc->as_int64() != 429) {
    return ::testing::AssertionFailure() << "statusCode wrong: " << r.body;
  }
  if (me == nullptr || !me->is_string() || me->as_string() != "Too Many Requests") {
    return ::testing::AssertionFailure() << "message is not \"Too Many Requests\": " << r.body;
  }
  return ::testing::AssertionSuccess();
}

// ----------------------------------------------------------------------- JWT

inline std::string b64url_encode(const std::string& in) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  while (i + 3 <= in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
    i += 3;
  }
  const auto rest = in.size() - i;
  if (rest == 1) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
  }
  return out;
}

inline std::string b64url_decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    throw std::runtime_error("not base64url");
  };
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : in) {
    buf = (buf << 6) | static_cast<unsigned>(value(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

struct jwt_parts {
  std::string header;     ///< encoded
  std::string payload;    ///< encoded
  std::string signature;  ///< encoded
};

inline jwt_parts split_jwt(const std::string& token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  if (a == std::string::npos || b == std::string::npos) throw std::runtime_error("not a JWT: " + token);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

inline boost::json::object jwt_header(const std::string& token) {
  return core::parse_json(b64url_decode(split_jwt(token).header)).value().as_object();
}

inline boost::json::object jwt_payload(const std::string& token) {
  return core::parse_json(b64url_decode(split_jwt(token).payload)).value().as_object();
}

/// The `jti` claim of a token.
inline std::string jti_of(const std::string& token) {
  return std::string(jwt_payload(token).at("jti").as_string());
}

inline std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out, &len) == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

/// A compact JWT of these header and payload JSON texts, HS256-signed with `secret`.
inline std::string sign_jwt(const std::string& header_json, const std::string& payload_json, const std::string& secret) {
  const auto input = b64url_encode(header_json) + "." + b64url_encode(payload_json);
  return input + "." + b64url_encode(hmac_sha256(secret, input));
}

inline std::string hs256_header() { return R"({"alg":"HS256","typ":"JWT"})"; }

// ----------------------------------------------------------------- raw Redis

/// A UUID as README "Redis keys" writes it in a key: its 16 bytes in base64url.
inline std::string compact_uuid(const std::string& uuid) {
  if (!is_uuid(uuid)) throw std::runtime_error("not a UUID: " + uuid);
  std::string bytes;
  for (std::size_t i = 0; i < uuid.size(); i += 2) {
    if (uuid[i] == '-') ++i;
    bytes += static_cast<char>(std::stoi(uuid.substr(i, 2), nullptr, 16));
  }
  return b64url_encode(bytes);
}

/// README "Redis keys": the key of the revoked token `jti` of `user_id`.
inline std::string revoked_key(const std::string& user_id, const std::string& jti) {
  return "auth:revoked:{" + compact_uuid(user_id) + "}:" + compact_uuid(jti);
}

/// README "Redis keys": the key of `user_id`'s logout-all cutoff.
inline std::string cutoff_key(const std::string& user_id) { return "auth:nbf:{" + compact_uuid(user_id) + "}"; }

/// README "Redis keys": the revocation marker of a single node.
inline constexpr const char* k_revocation_marker = "auth:revocation:ready:v4";

/// One RESP reply, flattened: `type` is the first byte ('+', '-', ':', '$', '*').
struct resp_reply {
  char type = 0;
  bool null = false;
  long long integer = 0;
  std::string text;                 ///< simple string, error or bulk string
  std::vector<std::string> items;   ///< array of bulk strings (one level)
};

/// Sends one command to 127.0.0.1:port on a new connection and reads one
/// reply; with a `password`, AUTH first (its OK is not returned).
inline resp_reply redis_command(std::uint16_t port, const std::vector<std::string>& args,
                                const std::string& password = {}) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("redis connect failed");
  }
  std::string req;
  const auto encode = [&req](const std::vector<std::string>& command) {
    req += "*";
    req += std::to_string(command.size());
    req += "\r\n";
    for (const auto& a : command) {
      req += '$';
      req += std::to_string(a.size());
      req += "\r\n";
      req += a;
      req += "\r\n";
    }
  };
  if (!password.empty()) encode({"AUTH", password});
  encode(args);
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    throw std::runtime_error("redis send failed");
  }
  std::string buf;
  std::size_t pos = 0;
  auto fill = [&] {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) throw std::runtime_error("redis timeout");
    char chunk[8192];
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("redis closed");
    buf.append(chunk, static_cast<std::size_t>(n));
  };
  auto line = [&] {
    std::size_t end;
    while ((end = buf.find("\r\n", pos)) == std::string::npos) fill();
    auto l = buf.substr(pos, end - pos);
    pos = end + 2;
    return l;
  };
  auto bulk = [&](long long n) {
    while (buf.size() < pos + static_cast<std::size_t>(n) + 2) fill();
    auto s = buf.substr(pos, static_cast<std::size_t>(n));
    pos += static_cast<std::size_t>(n) + 2;
    return s;
  };
  if (!password.empty() && line() != "+OK") throw std::runtime_error("redis AUTH refused");
  resp_reply r;
  const auto first = line();
  r.type = first.at(0);
  const auto rest = first.substr(1);
  switch (r.type) {
    case '+':
    case '-':
      r.text = rest;
      break;
    case ':':
      r.integer = std::stoll(rest);
      break;
    case '$': {
      const auto n = std::stoll(rest);
      if (n < 0) r.null = true;
      else r.text = bulk(n);
      break;
    }
    case '*': {
      const auto n = std::stoll(rest);
      if (n < 0) r.null = true;
      for (long long i = 0; i < n; ++i) {
        const auto h = line();
        const auto len = std::stoll(h.substr(1));
        r.items.push_back(len < 0 ? std::string() : bulk(len));
      }
      break;
    }
    default:
      throw std::runtime_error("unexpected RESP reply: " + first);
  }
  return r;
}

}  // namespace bakewind::test::auth_e2e
