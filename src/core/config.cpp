#include "core/config.hpp"

#include "core/env_parse.hpp"
#include "core/error.hpp"

#include <cstdlib>
#include <initializer_list>
#include <string_view>
#include <thread>
#include <utility>

namespace bakewind::core {
namespace {

using detail::parse_int;

// Reads variables through `env`, treating an empty value as unset so that
// `FOO= bakewind serve` means "the default", as in most services.
class reader {
 public:
  explicit reader(const env_lookup& env) : env_(env) {}

  std::optional<std::string> get(const char* name) const {
    auto v = env_(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  }

  template <class T>
  void integer(const char* name, T& field, std::int64_t min, std::int64_t max) const {
    if (auto v = get(name)) field = static_cast<T>(parse_int(name, *v, min, max));
  }

  template <class Rep, class Period>
  void duration(const char* name, std::chrono::duration<Rep, Period>& field, std::int64_t min, std::int64_t max) const {
    if (auto v = get(name)) field = std::chrono::duration<Rep, Period>(parse_int(name, *v, min, max));
  }

  // One of `choices` (its text, its value); anything else is a config_error
  // listing them: "must be json, text or auto".
  template <class T>
  void choice(const char* name, T& field, std::initializer_list<std::pair<std::string_view, T>> choices) const {
    const auto v = get(name);
    if (!v) return;
    std::string listed;
    std::size_t i = 0;
    for (const auto& [text, value] : choices) {
      if (*v == text) {
        field = value;
        return;
      }
      listed += i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ";
      listed += text;
      ++i;
    }
    throw config_error(name, "must be " + listed);
  }

 private:
  const env_lookup& env_;
};

// One origin (scheme, host, optional port; a trailing '/' is dropped).
std::string public_origin(const char* name, std::string text) {
  if (!text.empty() && text.back() == '/') text.pop_back();
  auto origins = detail::parse_origins(name, text);
  if (origins.size() != 1) throw config_error(name, "must be one origin like http://localhost:3000");
  return origins.front();
}

// The web apps' origins, and CORS_ORIGINS's default from them: the browser
// apps are the API's only cross-origin callers. A port of 0 is known only
// once bound (the app fills the URLs in then), so it adds no default origin.
void read_public_urls(const reader& r, config& c) {
  if (auto v = r.get("PUBLIC_API_URL")) c.public_api_url = public_origin("PUBLIC_API_URL", *v);
  if (auto v = r.get("PUBLIC_SITE_URL")) c.public_site_url = public_origin("PUBLIC_SITE_URL", *v);
  if (auto v = r.get("PUBLIC_ADMIN_URL")) c.public_admin_url = public_origin("PUBLIC_ADMIN_URL", *v);
  c.cors_origins.clear();
  const auto add = [&c](const std::string& url, std::uint16_t port) {
    if (!url.empty()) {
      c.cors_origins.push_back(url);
    } else if (port != 0) {
      c.cors_origins.push_back("http://localhost:" + std::to_string(port));
    }
  };
  add(c.public_site_url, c.site_port);
  add(c.public_admin_url, c.admin_port);
}

void read_server(const reader& r, config& c) {
  if (auto v = r.get("BAKEWIND_ENV")) {
    if (*v != "development" && *v != "production" && *v != "test") {
      throw config_error("BAKEWIND_ENV", "must be development, production or test");
    }
    c.env = *v;
  }
  if (auto v = r.get("HOST")) c.host = *v;
  r.integer("PORT", c.port, 1, 65535);
  r.integer("SITE_PORT", c.site_port, 0, 65535);
  r.integer("ADMIN_PORT", c.admin_port, 0, 65535);
  r.integer("THREADS", c.threads, 1, 256);
  if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
  r.duration("REQUEST_TIMEOUT_MS", c.request_timeout, 100, 600000);
  r.duration("IDLE_TIMEOUT_MS", c.idle_timeout, 100, 3600000);
  r.integer("MAX_CONNECTIONS", c.max_connections, 1, 1000000);
  r.integer("WS_MESSAGE_RATE", c.ws_message_rate, 1, 100000);
  r.integer("CONNECTION_REQUEST_RATE", c.connection_request_rate, 1, 10000000);
  r.duration("SHUTDOWN_GRACE_MS", c.shutdown_grace, 0, 600000);
  if (auto v = r.get("TRUSTED_PROXIES")) c.trusted_proxies = detail::parse_addresses("TRUSTED_PROXIES", *v);
  read_public_urls(r, c);
  if (auto v = r.get("CORS_ORIGINS")) c.cors_origins = detail::parse_origins("CORS_ORIGINS", *v);
  if (auto v = r.get("LOG_LEVEL"); v && !parse_log_level(*v, c.level)) {
    throw config_error("LOG_LEVEL", "must be one of trace, debug, info, warn, error, critical, off");
  }
  r.choice("ACCESS_LOG", c.access_log, {{"on", access_log::on}, {"errors", access_log::errors}, {"off", access_log::off}});
  r.choice("LOG_FORMAT", c.format,
           {{"json", log_format::json}, {"text", log_format::text}, {"auto", log_format::automatic}});
  if (auto v = r.get("METRICS_TOKEN")) c.metrics_token = *v;
  if (auto v = r.get("WEB_DIR")) c.web_dir = *v;
}

// REDIS_CLUSTER=true makes REDIS_URL's node the seed (as the seed's
// deployment notes write it); REDIS_CLUSTER_NODES implies it.
void read_cluster_switch(const reader& r, config& c) {
  c.redis_cluster = !c.redis_cluster_nodes.empty();
  const auto v = r.get("REDIS_CLUSTER");
  if (!v) return;
  const bool on = detail::parse_bool("REDIS_CLUSTER", *v);
  if (!on && c.redis_cluster) throw config_error("REDIS_CLUSTER", "is off, but REDIS_CLUSTER_NODES is set");
  if (on && !c.redis_sentinels.empty()) throw config_error("REDIS_CLUSTER", "cannot be combined with REDIS_SENTINELS");
  c.redis_cluster = on;
}

void read_stores(const reader& r, config& c) {
  if (auto v = r.get("REDIS_URL")) {
    detail::check_url("REDIS_URL", *v, {"redis", "rediss"});
    c.redis_url = *v;
  }
  if (auto v = r.get("REDIS_SENTINELS")) c.redis_sentinels = detail::parse_host_ports("REDIS_SENTINELS", *v);
  if (auto v = r.get("REDIS_SENTINEL_NAME")) c.redis_sentinel_name = *v;
  if (auto v = r.get("REDIS_SENTINEL_USERNAME")) c.redis_sentinel_username = *v;
  if (auto v = r.get("REDIS_SENTINEL_PASSWORD")) c.redis_sentinel_password = *v;
  if (!c.redis_sentinels.empty() && c.redis_sentinel_name.empty()) {
    throw config_error("REDIS_SENTINEL_NAME", "is required when REDIS_SENTINELS is set");
  }
  if (auto v = r.get("REDIS_CLUSTER_NODES")) {
    c.redis_cluster_nodes = detail::parse_host_ports("REDIS_CLUSTER_NODES", *v);
  }
  if (!c.redis_sentinels.empty() && !c.redis_cluster_nodes.empty()) {
    throw config_error("REDIS_CLUSTER_NODES", "cannot be combined with REDIS_SENTINELS");
  }
  read_cluster_switch(r, c);
  if (auto v = r.get("REDIS_TLS_CA")) c.redis_tls_ca = *v;
  if (auto v = r.get("REDIS_TLS_INSECURE")) c.redis_tls_insecure = detail::parse_bool("REDIS_TLS_INSECURE", *v);
  r.duration("REDIS_COMMAND_TIMEOUT_MS", c.redis_command_timeout, 10, 600000);
  // One command's deadline by default: a request then waits for Redis at
  // most as long as one command may, however many it sends.
  c.redis_request_budget = c.redis_command_timeout;
  r.duration("REDIS_REQUEST_BUDGET_MS", c.redis_request_budget, 10, 600000);
  r.integer("REDIS_MAX_RETRIES", c.redis_max_retries, 0, 1000);
  if (auto v = r.get("DATABASE_URL")) {
    detail::check_url("DATABASE_URL", *v, {"postgres", "postgresql"});
    c.database_url = *v;
  }
  r.integer("PG_POOL_SIZE", c.pg_pool_size, 1, 1000);
  r.duration("PG_TIMEOUT_MS", c.pg_timeout, 10, 600000);
  if (auto v = r.get("PG_PREPARED_STATEMENTS")) {
    c.pg_prepared_statements = detail::parse_bool("PG_PREPARED_STATEMENTS", *v);
  }
}

void read_auth(const reader& r, config& c) {
  if (auto v = r.get("JWT_SECRET")) c.jwt_secret = *v;
  if (auto v = r.get("JWT_SECRET_PREVIOUS")) c.jwt_secret_previous = *v;
  if (c.env == "production" && c.jwt_secret.empty()) {
    throw config_error("JWT_SECRET", "is required when BAKEWIND_ENV=production (at least 32 bytes)");
  }
  if (!c.jwt_secret.empty() && c.jwt_secret.size() < 32) {
    throw config_error("JWT_SECRET", "must be at least 32 bytes long");
  }
  if (!c.jwt_secret_previous.empty() && c.jwt_secret_previous.size() < 32) {
    throw config_error("JWT_SECRET_PREVIOUS", "must be at least 32 bytes long");
  }
  if (c.jwt_secret.empty()) c.jwt_secret = "bakewind-development-secret-not-for-production";
  r.duration("JWT_ACCESS_TTL", c.jwt_access_ttl, 1, 86400);
  r.duration("JWT_REFRESH_TTL", c.jwt_refresh_ttl, 1, 31536000);
  r.duration("ORDER_LOCK_TTL", c.order_lock_ttl, 1, 86400);
  r.duration("ORDER_CACHE_TTL", c.order_cache_ttl, 0, 3600);
  r.duration("TRANSFER_TTL", c.transfer_ttl, 1, 3600);
  r.choice("REVOCATION_FALLBACK", c.revocation,
           {{"postgres", revocation_fallback::postgres}, {"deny", revocation_fallback::deny}});
  if (auto v = r.get("RATE_LIMITS")) c.rate_limits = detail::parse_bool("RATE_LIMITS", *v);
  r.integer("RATE_LIMIT_LOGIN_PER_MIN", c.rate_limit_login_per_min, 1, 1000000);
  r.integer("RATE_LIMIT_LOGIN_IP_PER_MIN", c.rate_limit_login_ip_per_min, 1, 1000000);
  r.integer("RATE_LIMIT_CLAIM_PER_MIN", c.rate_limit_claim_per_min, 1, 1000000);
  r.integer("RATE_LIMIT_REGISTER_PER_HOUR", c.rate_limit_register_per_hour, 1, 1000000);
}

}  // namespace

std::string default_web_dir() {
  return BAKEWIND_DEFAULT_WEB_DIR;
}

std::optional<std::string> process_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

config load_config(const env_lookup& env) {
  const reader r(env);
  config c;
  read_server(r, c);
  read_stores(r, c);
  read_auth(r, c);
  return c;
}

}  // namespace bakewind::core
