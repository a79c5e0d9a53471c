// Black-box tests of the built binary: real process, real PostgreSQL, HTTP
// over loopback. Each checks what a client or an operator can observe.

#include "core/json.hpp"
#include "support/http_client.hpp"
#include "support/net.hpp"
#include "support/postgres_server.hpp"
#include "support/redis_server.hpp"
#include "service.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <regex>
#include <thread>

namespace bakewind::test {
namespace {

using namespace std::chrono_literals;

boost::json::object json_of(const http_reply& r) { return core::parse_json(r.body).value().as_object(); }

// One Redis for the tests that do not stop theirs.
redis_server& shared_redis() {
  static redis_server server;
  return server;
}

std::vector<std::pair<std::string, std::string>> env_for(const std::string& database_url,
                                                         const std::string& redis_url = shared_redis().url()) {
  return {{"DATABASE_URL", database_url}, {"PG_TIMEOUT_MS", "1000"}, {"REDIS_URL", redis_url}};
}

// Lines of the output that are JSON objects with `key` equal to `value`.
std::vector<boost::json::object> log_lines_with(const std::string& output, const std::string& key,
                                                const std::string& value) {
  std::vector<boost::json::object> found;
  std::size_t start = 0;
  while (start < output.size()) {
    const auto end = output.find('\n', start);
    const auto line = output.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? output.size() : end + 1;
    const auto parsed = core::parse_json(line);
    if (!parsed || !parsed->is_object()) continue;
    const auto& obj = parsed->as_object();
    const auto* v = obj.if_contains(key);
    if (v != nullptr && v->is_string() && v->as_string() == value) found.push_back(obj);
  }
  return found;
}

// Polls /health/ready until it answers 200 or `limit` passes; the last status.
int ready_status_within(std::uint16_t port, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = http_call(port, "GET", "/health/ready").status;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    status = http_call(port, "GET", "/health/ready").status;
  }
  return status;
}

TEST(service, live_and_ready_are_200_with_redis_and_postgres_up) {
  service s(env_for(postgres_server::shared().url()));
  const auto live = http_call(s.port(), "GET", "/health/live");
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(live.body, R"({"status":"ok"})");
  const auto ready = http_call(s.port(), "GET", "/health/ready");
  ASSERT_EQ(ready.status, 200) << ready.body;
  const auto body = json_of(ready);
  EXPECT_EQ(body.at("status"), "ok");
  for (const char* name : {"redis", "postgres"}) {
    const auto& check = body.at("checks").at(name).as_object();
    EXPECT_EQ(check.at("status"), "up") << name;
    EXPECT_TRUE(check.at("latencyMs").is_number()) << name;
  }
}

TEST(service, starts_without_redis_and_readiness_follows_redis) {
  redis_server redis;
  redis.stop();
  service s(env_for(postgres_server::shared().url(), redis.url()));
  EXPECT_EQ(http_call(s.port(), "GET", "/health/live").status, 200) << "lazy connect: serving while Redis is down";
  const auto asked = std::chrono::steady_clock::now();
  const auto down = http_call(s.port(), "GET", "/health/ready");
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s) << "readiness must not hang on a dead Redis";
  ASSERT_EQ(down.status, 503) << down.body;
  const auto body = json_of(down);
  EXPECT_EQ(body.at("checks").at("redis").at("status"), "down");
  EXPECT_FALSE(body.at("checks").at("redis").at("error").as_string().empty());
  EXPECT_EQ(body.at("checks").at("postgres").at("status"), "up");

  redis.start();
  EXPECT_EQ(ready_status_within(s.port(), 10s), 200) << "the client reconnects by itself";
}

// A load balancer tells a frozen instance (no answer to its check) from a
// live one with a hung store (a quick 503) only if readiness answers within
// its limit (250 ms) whatever the stores do: Redis frozen here, its PING
// waiting out a 1 s command deadline.
TEST(service, readiness_answers_within_its_limit_when_redis_hangs) {
  redis_server redis;
  service s(env_for(postgres_server::shared().url(), redis.url()));
  ASSERT_EQ(http_call(s.port(), "GET", "/health/ready").status, 200);

  ASSERT_EQ(::kill(redis.pid(), SIGSTOP), 0);
  for (int i = 0; i < 3; ++i) {
    const auto asked = std::chrono::steady_clock::now();
    const auto down = http_call(s.port(), "GET", "/health/ready");
    const auto took = std::chrono::steady_clock::now() - asked;
    EXPECT_GE(took, 240ms) << "waits for the probe until the limit";
    EXPECT_LT(took, 600ms) << "answers at the limit, not at Redis's command deadline (1 s)";
    ASSERT_EQ(down.status, 503) << down.body;
    const auto body = json_of(down);
    EXPECT_EQ(body.at("checks").at("redis").at("status"), "down");
    EXPECT_EQ(body.at("checks").at("redis").at("error"), "no answer within 250 ms");
    EXPECT_EQ(body.at("checks").at("postgres").at("status"), "up") << "the probes run side by side";
  }
  ASSERT_EQ(::kill(redis.pid(), SIGCONT), 0);
  EXPECT_EQ(ready_status_within(s.port(), 10s), 200);
}

TEST(service, readiness_follows_postgres_down_and_back_up) {
  postgres_server pg;
  service s(env_for(pg.url()));
  ASSERT_EQ(http_call(s.port(), "GET", "/health/ready").status, 200);

  pg.stop();
  // Neither health route may hang on a dead database.
  auto answered_soon = [&](const std::string& path) {
    const auto asked = std::chrono::steady_clock::now();
    const auto reply = http_call(s.port(), "GET", path);
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s) << path << " must not hang on a dead database";
    return reply;
  };
  const auto down = answered_soon("/health/ready");
  ASSERT_EQ(down.status, 503) << down.body;
  const auto body = json_of(down);
  EXPECT_EQ(body.at("status"), "error");
  const auto& check = body.at("checks").at("postgres").as_object();
  EXPECT_EQ(check.at("status"), "down");
  EXPECT_FALSE(check.at("error").as_string().empty());
  EXPECT_EQ(http_call(s.port(), "GET", "/health/live").status, 200) << "liveness does not depend on PostgreSQL";
  const auto health = answered_soon("/health");
  ASSERT_EQ(health.status, 503) << health.body;
  const auto figures = json_of(health);
  EXPECT_EQ(figures.at("status"), "error");
  EXPECT_EQ(figures.at("checks").at("postgres").at("status"), "down");
  EXPECT_EQ(figures.at("checks").at("redis").at("status"), "up");
  EXPECT_EQ(figures.at("redis").at("connected"), boost::json::value(true)) << "Redis figures still reported";
  EXPECT_TRUE(figures.contains("counts")) << "the last counts (or null), never a hang";

  pg.start();
  EXPECT_EQ(ready_status_within(s.port(), 10s), 200) << "the pool recovers without a restart";
}

TEST(service, unknown_route_is_404_and_wrong_method_is_405) {
  service s(env_for(postgres_server::shared().url()));
  const auto missing = http_call(s.port(), "GET", "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"statusCode":404,"error":"Not Found","message":"Cannot GET /api/v1/nothing"})");
  const auto wrong = http_call(s.port(), "DELETE", "/health/live");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "GET");
  EXPECT_EQ(json_of(wrong).at("error"), "Method Not Allowed");
}

TEST(service, cors_preflight_is_answered_for_configured_origins) {
  auto env = env_for(postgres_server::shared().url());
  env.emplace_back("CORS_ORIGINS", "http://localhost:3001");
  service s(env);
  const auto ok = http_call(s.port(), "OPTIONS", "/api/v1/orders",
                            "",
                            "Origin: http://localhost:3001\r\nAccess-Control-Request-Method: POST\r\n"
                            "Access-Control-Request-Headers: content-type,authorization\r\n");
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.header("access-control-allow-origin"), "http://localhost:3001");
  EXPECT_EQ(ok.header("access-control-allow-headers"), "content-type,authorization");
  const auto other = http_call(s.port(), "OPTIONS", "/api/v1/orders", "",
                               "Origin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\n");
  EXPECT_EQ(other.status, 204);
  EXPECT_EQ(other.header("access-control-allow-origin"), "");
}

TEST(service, request_id_is_echoed_and_in_the_access_log) {
  service s(env_for(postgres_server::shared().url()));
  const auto r = http_call(s.port(), "GET", "/health/live", "", "X-Request-Id: e2e-rid-42\r\n");
  EXPECT_EQ(r.header("x-request-id"), "e2e-rid-42");
  const auto generated = http_call(s.port(), "GET", "/health/live").header("x-request-id");
  EXPECT_EQ(generated.size(), 36u);
  ASSERT_TRUE(s.process().wait_for_output("e2e-rid-42")) << s.process().output();
  const auto lines = log_lines_with(s.process().output(), "requestId", "e2e-rid-42");
  ASSERT_EQ(lines.size(), 1u) << s.process().output();
  EXPECT_EQ(lines[0].at("route"), "/health/live");
  EXPECT_EQ(lines[0].at("method"), "GET");
  EXPECT_EQ(lines[0].at("status"), 200);
  EXPECT_TRUE(lines[0].at("durationMs").is_number());
  // Written as JavaScript writes numbers (0.121), never as 1.21E-1.
  const auto& out = s.process().output();
  const auto at = out.find("e2e-rid-42");
  const auto line_start = out.rfind('\n', at) + 1;
  const std::string line = out.substr(line_start, out.find('\n', at) - line_start);
  EXPECT_TRUE(std::regex_search(line, std::regex(R"("durationMs":[0-9]+(\.[0-9]+)?[,}])"))) << line;
}

// ACCESS_LOG=errors keeps a line for answers of 400 and up only; off keeps none.
TEST(service, access_log_setting_chooses_which_requests_are_logged) {
  auto errors_only = env_for(postgres_server::shared().url());
  errors_only.emplace_back("ACCESS_LOG", "errors");
  service s(errors_only);
  http_call(s.port(), "GET", "/health/live", "", "X-Request-Id: fine-1\r\n");
  http_call(s.port(), "GET", "/no/such/route", "", "X-Request-Id: missing-1\r\n");
  // fine-1 was answered first: had it been logged, its line would be out by now.
  ASSERT_TRUE(s.process().wait_for_output("missing-1")) << s.process().output();
  const auto missing = log_lines_with(s.process().output(), "requestId", "missing-1");
  ASSERT_EQ(missing.size(), 1u) << s.process().output();
  EXPECT_EQ(missing[0].at("status"), 404);
  EXPECT_TRUE(log_lines_with(s.process().output(), "requestId", "fine-1").empty());

  auto off = env_for(postgres_server::shared().url());
  off.emplace_back("ACCESS_LOG", "off");
  service quiet(off);
  http_call(quiet.port(), "GET", "/no/such/route", "", "X-Request-Id: missing-2\r\n");
  http_call(quiet.port(), "GET", "/health/live", "", "X-Request-Id: fine-2\r\n");
  // Stopped, so that every line it would write is out.
  quiet.process().signal(SIGTERM);
  ASSERT_EQ(quiet.process().wait_for_exit(10s), 0) << quiet.process().output();
  EXPECT_TRUE(log_lines_with(quiet.process().output(), "msg", "request").empty()) << quiet.process().output();
}

// API.md: every response carries X-Request-Id, also those to a request the
// server could not read or understand.
TEST(service, unreadable_requests_are_answered_with_a_request_id_too) {
  service s(env_for(postgres_server::shared().url()));
  const std::string too_big(1024 * 1024 + 1, 'x');
  const auto big = http_call(s.port(), "POST", "/api/v1/orders", too_big,
                             "Content-Type: application/json\r\nX-Request-Id: big-body-1\r\n");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.header("x-request-id"), "big-body-1") << "the header was read before the body went over";
  const auto percent = http_call(s.port(), "GET", "/api/v1/orders?cursor=%%%garbage");
  EXPECT_EQ(percent.status, 400);
  EXPECT_EQ(percent.header("x-request-id").size(), 36u) << percent.body;
  const auto percent_sent = http_call(s.port(), "GET", "/api/v1/orders?cursor=%%%garbage", "", "X-Request-Id: pct-2\r\n");
  EXPECT_EQ(percent_sent.header("x-request-id"), "pct-2");
  const auto headers = http_call(s.port(), "GET", "/health/live", "", "X-Big: " + std::string(64 * 1024, 'h') + "\r\n");
  EXPECT_EQ(headers.status, 431);
  EXPECT_EQ(headers.header("x-request-id").size(), 36u);
  raw_connection garbage(s.port());
  ASSERT_TRUE(garbage.send("NOT A REQUEST\r\n\r\n"));
  const auto malformed = garbage.read_reply();
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(malformed->header("x-request-id").size(), 36u);
}

TEST(service, half_a_request_is_dropped_after_the_configured_timeout) {
  auto env = env_for(postgres_server::shared().url());
  env.emplace_back("REQUEST_TIMEOUT_MS", "800");
  service s(env);
  raw_connection c(s.port());
  c.send("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Half: ");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 700ms);
}

TEST(service, sigterm_finishes_the_request_in_flight_then_exits_0) {
  service s(env_for(postgres_server::shared().url()));
  raw_connection c(s.port());
  // Half a request: the server is busy reading it when the signal comes.
  ASSERT_TRUE(c.send("GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234"));
  std::this_thread::sleep_for(200ms);
  s.process().signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(c.send("56789"));
  const auto r = c.read_reply(5s);
  ASSERT_TRUE(r) << s.process().output();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(s.process().wait_for_exit(5s), 0) << s.process().output();
  EXPECT_THROW(raw_connection late(s.port()), std::runtime_error);
  EXPECT_FALSE(log_lines_with(s.process().output(), "msg", "stopped").empty());
}

TEST(service, sigint_with_idle_connections_exits_0_promptly) {
  service s(env_for(postgres_server::shared().url()));
  raw_connection idle(s.port());
  idle.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(idle.read_reply());
  s.process().signal(SIGINT);
  EXPECT_TRUE(idle.wait_closed(3s));
  EXPECT_EQ(s.process().wait_for_exit(3s), 0);
}

TEST(service, bad_configuration_exits_2_with_one_line_naming_the_variable) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"PORT", "eighty"},         {"DATABASE_URL", "not-a-url"},        {"THREADS", "0"},
      {"LOG_LEVEL", "chatty"},    {"REDIS_URL", "redis://localhost:6379/99"}, {"REDIS_URL", "http://x"},
      {"ACCESS_LOG", "sometimes"}};
  for (const auto& [name, value] : cases) {
    const auto [code, output] = run_bakewind({"serve"}, {{name, value}});
    EXPECT_EQ(code, 2) << name;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_NE(output.find(name), std::string::npos) << output;
  }
  const auto [code, output] =
      run_bakewind({"serve"}, {{"REDIS_URL", "rediss://localhost:6380"}, {"REDIS_TLS_CA", "/nonexistent/ca.pem"}});
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("REDIS_TLS_CA"), std::string::npos) << output;
}

TEST(service, port_in_use_fails_with_exit_1) {
  service first(env_for(postgres_server::shared().url()));
  const auto [code, output] = run_bakewind(
      {"serve"}, {{"PORT", std::to_string(first.port())}, {"DATABASE_URL", postgres_server::shared().url()}});
  EXPECT_EQ(code, 1);
  EXPECT_NE(output.find("fatal"), std::string::npos) << output;
}

TEST(service, version_help_and_unknown_commands) {
  const auto [vcode, version] = run_bakewind({"version"}, {});
  EXPECT_EQ(vcode, 0);
  EXPECT_EQ(version.rfind("bakewind ", 0), 0u) << version;
  const auto [hcode, help] = run_bakewind({"--help"}, {});
  EXPECT_EQ(hcode, 0);
  EXPECT_NE(help.find("migrate"), std::string::npos);
  const auto [ucode, unknown] = run_bakewind({"frobnicate"}, {});
  EXPECT_EQ(ucode, 2);
  EXPECT_NE(unknown.find("unknown command"), std::string::npos);
}

TEST(service, migrate_twice_applies_each_migration_once) {
  auto& pg = postgres_server::shared();
  const auto url = pg.fresh_database("migrate");
  const auto [first, out1] = run_bakewind({"migrate"}, {{"DATABASE_URL", url}});
  ASSERT_EQ(first, 0) << out1;
  const auto versions = sql_value(url, "SELECT count(*) FROM schema_migrations");
  EXPECT_NE(versions, "0");
  const auto [second, out2] = run_bakewind({"migrate"}, {{"DATABASE_URL", url}});
  ASSERT_EQ(second, 0) << out2;
  EXPECT_EQ(sql_value(url, "SELECT count(*) FROM schema_migrations"), versions);
  EXPECT_EQ(log_lines_with(out2, "msg", "migrations up to date").at(0).at("applied"), 0);
}

TEST(service, two_processes_migrating_at_once_apply_each_migration_once) {
  auto& pg = postgres_server::shared();
  const auto url = pg.fresh_database("race");
  auto a = std::async(std::launch::async, [&] { return run_bakewind({"migrate"}, {{"DATABASE_URL", url}}); });
  auto b = std::async(std::launch::async, [&] { return run_bakewind({"migrate"}, {{"DATABASE_URL", url}}); });
  const auto [code_a, out_a] = a.get();
  const auto [code_b, out_b] = b.get();
  EXPECT_EQ(code_a, 0) << out_a;
  EXPECT_EQ(code_b, 0) << out_b;
  const auto applied_a = log_lines_with(out_a, "msg", "migrations up to date").at(0).at("applied").as_int64();
  const auto applied_b = log_lines_with(out_b, "msg", "migrations up to date").at(0).at("applied").as_int64();
  const auto total = std::stoll(sql_value(url, "SELECT count(*) FROM schema_migrations"));
  EXPECT_EQ(applied_a + applied_b, total) << "each migration applied by exactly one process";
  EXPECT_EQ(sql_value(url, "SELECT count(DISTINCT version) FROM schema_migrations"), std::to_string(total));
}

// `bakewind demo` (scripts/run): a bakery a newcomer can look at, with the
// due dates its orders list shows first; loaded once.
TEST(service, demo_loads_orders_with_due_dates_once) {
  const auto url = migrated_database("demo");
  const auto [first, out1] = run_bakewind({"demo"}, {{"DATABASE_URL", url}});
  ASSERT_EQ(first, 0) << out1;
  EXPECT_NE(out1.find("owner@demo.bakewind.test"), std::string::npos) << out1;
  EXPECT_EQ(sql_value(url, "SELECT count(*) FROM orders"), "12");
  EXPECT_EQ(sql_value(url, "SELECT count(*) FROM orders WHERE due_at IS NULL"), "0");
  EXPECT_EQ(sql_value(url, "SELECT count(*) FROM orders WHERE status NOT IN ('delivered', 'cancelled') "
                           "AND due_at < now() - interval '1 hour'"),
            "0")
      << "open orders are due from now on";
  EXPECT_EQ(sql_value(url, "SELECT count(DISTINCT due_at) FROM orders"), "12");
  const auto [second, out2] = run_bakewind({"demo"}, {{"DATABASE_URL", url}});
  ASSERT_EQ(second, 0) << out2;
  EXPECT_EQ(sql_value(url, "SELECT count(*) FROM orders"), "12");
  EXPECT_FALSE(log_lines_with(out2, "msg", "demo data already present").empty()) << out2;
}

TEST(service, migrate_without_database_fails_cleanly) {
  const auto [code, output] = run_bakewind(
      {"migrate"}, {{"DATABASE_URL", "postgres://nobody@127.0.0.1:" + std::to_string(free_port()) + "/x"}});
  EXPECT_EQ(code, 1);
  EXPECT_NE(output.find("migration failed"), std::string::npos) << output;
}

}  // namespace
}  // namespace bakewind::test
