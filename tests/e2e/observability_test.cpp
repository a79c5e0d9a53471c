// Black-box tests of issue 6: GET /health with Redis figures and business
// counts, GET /metrics in the Prometheus text format (checked by promtool and
// against the deploy/ dashboards and alerts), counters that move with what
// clients do, and structured access logs without secrets.

#include "observability_helpers.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <regex>

namespace bakewind::test::observability_e2e {
namespace {

std::string series(const std::string& name, const std::string& labels) { return name + "{" + labels + "}"; }

// Runs a shell command; its exit code and what it printed (both streams).
std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  char buf[4096];
  while (const auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(observability, health_is_the_ready_body_plus_redis_figures_and_counts) {
  setup s("health_shape");
  const auto h = wait_for_counts(s.port(), {0, 0, 0});
  ASSERT_EQ(h, (counts{0, 0, 0}));
  const auto r = http_call(s.port(), "GET", "/health");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = json_of(r);
  EXPECT_EQ(body.at("status").as_string(), "ok");
  for (const char* dep : {"redis", "postgres"}) {
    const auto& check = body.at("checks").at(dep).as_object();
    EXPECT_EQ(check.at("status").as_string(), "up") << dep;
    EXPECT_TRUE(check.at("latencyMs").is_number()) << dep;
  }
  const auto& redis = body.at("redis").as_object();
  EXPECT_EQ(redis.at("connected"), boost::json::value(true));
  ASSERT_TRUE(redis.at("uptimeSeconds").is_number()) << r.body;
  EXPECT_GE(redis.at("uptimeSeconds").to_number<double>(), 0.0);
  EXPECT_LT(redis.at("uptimeSeconds").to_number<double>(), 120.0) << "the age of our connection, not of the server";
  EXPECT_EQ(redis.at("reconnects").to_number<std::int64_t>(), 0);
  EXPECT_EQ(redis.at("errors").to_number<std::int64_t>(), 0);
  ASSERT_TRUE(redis.at("usedMemoryBytes").is_number()) << r.body;
  EXPECT_GT(redis.at("usedMemoryBytes").to_number<std::int64_t>(), 100000) << "INFO memory's used_memory";
  ASSERT_TRUE(body.at("countsAgeSeconds").is_number()) << r.body;
  EXPECT_GE(body.at("countsAgeSeconds").to_number<double>(), 0.0);
  EXPECT_LT(body.at("countsAgeSeconds").to_number<double>(), 60.0);
  // Numbers as JavaScript writes them (0.121, 26.295), never 1.21E-1.
  EXPECT_FALSE(std::regex_search(r.body, std::regex(R"([:,\[]-?[0-9]+(\.[0-9]+)?[Ee])"))) << r.body;
}

TEST(observability, counts_match_locks_taken_tokens_revoked_and_hand_offs_pending) {
  setup s("health_counts");
  const auto staff = add_user(s.port(), s.owner, "staff", "counts_staff");
  // n = 3 locks (two users), m = 2 revoked tokens, k = 4 pending hand-offs.
  std::vector<std::string> orders;
  for (int i = 0; i < 4; ++i) orders.push_back(create_order(s.db, s.owner));
  ASSERT_EQ(acquire(s.port(), s.owner, orders[0], "tab-1").status, 201);
  ASSERT_EQ(acquire(s.port(), s.owner, orders[1], "tab-1").status, 201);
  ASSERT_EQ(acquire(s.port(), staff, orders[2], "tab-2").status, 201);
  ASSERT_EQ(acquire(s.port(), staff, orders[0], "tab-2").status, 409) << "a conflict holds nothing";
  // Each logout also ends two refresh tokens (one rotated, one logged out):
  // revoked too, but not counted, as the seed counted its blacklist.
  for (int i = 0; i < 2; ++i) {
    const auto session = login(s.port(), s.owner.email, s.owner.password);
    const auto rotated = refresh(s.port(), session.refresh);
    ASSERT_EQ(rotated.status, 200) << rotated.body;
    const auto body = core::to_json(boost::json::object{{"refreshToken", json_of(rotated).at("refreshToken")}});
    ASSERT_EQ(authed(s.port(), "POST", "/api/v1/auth/logout", session.access, body).status, 204);
  }
  std::vector<std::string> hand_offs;
  for (int i = 0; i < 4; ++i) hand_offs.push_back(hand_off(s.port(), s.owner));
  EXPECT_EQ(wait_for_counts(s.port(), {3, 2, 4}), (counts{3, 2, 4}));

  // One lock released, one hand-off claimed, one more token revoked.
  ASSERT_EQ(release(s.port(), s.owner, orders[1], "tab-1").status, 204);
  ASSERT_EQ(claim(s.port(), hand_offs[0]).status, 200);
  ASSERT_EQ(authed(s.port(), "POST", "/api/v1/auth/logout", staff.access).status, 204);
  EXPECT_EQ(wait_for_counts(s.port(), {2, 3, 3}), (counts{2, 3, 3}));

  // /metrics shows the same figures as gauges.
  const auto m = metrics_now(s.port());
  EXPECT_EQ(sample(m, "active_order_locks"), 2);
  EXPECT_EQ(sample(m, "revoked_tokens"), 3);
  EXPECT_EQ(sample(m, "pending_transfer_sessions"), 3);
  EXPECT_GE(sample(m, "business_counts_age_seconds"), 0);
}

TEST(observability, counters_move_when_a_lock_conflicts_a_revoked_token_is_used_and_a_claim_fails) {
  setup s("metrics_counters");
  const auto staff = add_user(s.port(), s.owner, "staff", "counter_staff");
  const auto order = create_order(s.db, s.owner);
  const auto before = metrics_now(s.port());

  ASSERT_EQ(acquire(s.port(), s.owner, order, "a").status, 201);
  ASSERT_EQ(acquire(s.port(), s.owner, order, "a").status, 200);
  ASSERT_EQ(acquire(s.port(), staff, order, "b").status, 409);
  ASSERT_EQ(renew(s.port(), s.owner, order, "a").status, 200);
  ASSERT_EQ(renew(s.port(), staff, order, "b").status, 409);
  ASSERT_EQ(release(s.port(), s.owner, order, "a", true).status, 204);
  const auto gone = login(s.port(), staff.email, staff.password);
  ASSERT_EQ(authed(s.port(), "POST", "/api/v1/auth/logout", gone.access).status, 204);
  ASSERT_TRUE(is_revoked(me(s.port(), gone.access)));
  ASSERT_EQ(me(s.port(), s.owner.access).status, 200);
  const auto id = hand_off(s.port(), s.owner);
  ASSERT_EQ(claim(s.port(), id).status, 200);
  ASSERT_EQ(claim(s.port(), id).status, 401) << "claimed once";

  const auto after = metrics_now(s.port());
  auto moved = [&](const std::string& key) { return sample(after, key) - sample(before, key); };
  const std::string acq = "order_lock_acquisitions_total";
  EXPECT_EQ(moved(series(acq, "outcome=\"acquired\"")), 1);
  EXPECT_EQ(moved(series(acq, "outcome=\"reacquired\"")), 1);
  EXPECT_EQ(moved(series(acq, "outcome=\"conflict\"")), 1);
  EXPECT_EQ(moved(series(acq, "outcome=\"fallback_postgres\"")), 0) << "Redis was up";
  EXPECT_EQ(moved(series("order_lock_renewals_total", "outcome=\"ok\"")), 1);
  EXPECT_EQ(moved(series("order_lock_renewals_total", "outcome=\"lost\"")), 1);
  EXPECT_EQ(moved(series("order_lock_releases_total", "kind=\"forced\"")), 1);
  EXPECT_EQ(moved(series("order_lock_releases_total", "kind=\"holder\"")), 0);
  EXPECT_EQ(moved("token_revocation_hits_total"), 1) << "the revoked token, once";
  EXPECT_GE(moved("token_revocation_checks_total"), 8) << "every authenticated call is checked";
  EXPECT_EQ(moved("token_revocation_fallbacks_total"), 0);
  EXPECT_EQ(moved("transfer_sessions_created_total"), 1);
  EXPECT_EQ(moved(series("transfer_sessions_claimed_total", "outcome=\"ok\"")), 1);
  EXPECT_EQ(moved(series("transfer_sessions_claimed_total", "outcome=\"invalid_or_expired\"")), 1);
  const std::string http = "http_requests_total";
  EXPECT_EQ(moved(series(http, "method=\"POST\",route=\"/api/v1/orders/{id}/lock\",status=\"409\"")), 1);
  EXPECT_EQ(moved(series(http, "method=\"POST\",route=\"/api/v1/orders/{id}/lock\",status=\"201\"")), 1);
  EXPECT_EQ(moved(series(http, "method=\"GET\",route=\"/api/v1/auth/me\",status=\"401\"")), 1);
  EXPECT_EQ(moved(series("http_request_duration_seconds_count",
                         "method=\"GET\",route=\"/api/v1/auth/me\",status=\"200\"")),
            1);
}

TEST(observability, expired_locks_are_counted_by_the_sweeper) {
  setup s("metrics_expiry", {{"ORDER_LOCK_TTL", "1"}});
  const auto order = create_order(s.db, s.owner);
  ASSERT_EQ(acquire(s.port(), s.owner, order, "short").status, 201);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  double expired = 0;
  while (std::chrono::steady_clock::now() < deadline && expired == 0) {
    std::this_thread::sleep_for(200ms);
    expired = sample(metrics_now(s.port()), "order_lock_expiries_total");
  }
  EXPECT_EQ(expired, 1);
  EXPECT_EQ(wait_for_counts(s.port(), {0, 0, 0}), (counts{0, 0, 0}));
}

TEST(observability, rate_limited_claims_are_counted_by_route_and_outcome) {
  setup s("metrics_limits", {{"RATE_LIMITS", "on"}, {"RATE_LIMIT_CLAIM_PER_MIN", "2"}});
  for (int i = 0; i < 2; ++i) EXPECT_EQ(claim(s.port(), std::string(64, 'a')).status, 401);
  EXPECT_TRUE(is_too_many(claim(s.port(), std::string(64, 'a'))));
  const auto m = metrics_now(s.port());
  EXPECT_EQ(sample(m, series("transfer_sessions_claimed_total", "outcome=\"rate_limited\"")), 1);
  EXPECT_EQ(sample(m, series("transfer_sessions_claimed_total", "outcome=\"invalid_or_expired\"")), 2);
  EXPECT_EQ(sample(m, series("rate_limit_rejections_total", "route=\"/api/v1/auth/transfer/claim\"")), 1);
  EXPECT_EQ(sample(m, series("rate_limit_rejections_total", "route=\"/api/v1/auth/login\"")), 0);
}

TEST(observability, metrics_pass_promtool_and_expose_every_metric_the_dashboards_use) {
  setup s("metrics_promtool");
  // Some traffic first, so that histograms and labelled series exist.
  const auto order = create_order(s.db, s.owner);
  ASSERT_EQ(acquire(s.port(), s.owner, order, "p").status, 201);
  ASSERT_EQ(http_call(s.port(), "GET", "/nowhere/at/all").status, 404);
  ASSERT_EQ(me(s.port(), "not-a-token").status, 401);
  wait_for_counts(s.port(), {1, 0, 0});
  const auto r = scrape(s.port());
  ASSERT_EQ(r.status, 200);
  const auto type = r.header("content-type");
  EXPECT_NE(type.find("text/plain"), std::string::npos) << type;
  EXPECT_NE(type.find("version=0.0.4"), std::string::npos) << type;

  temp_dir dir("metrics");
  const auto file = dir.path() / "scrape.txt";
  std::ofstream(file) << r.body;
  const auto [code, out] = shell("promtool check metrics < " + file.string());
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "") << "promtool lint findings:\n" << out;
  const auto [deploy_code, deploy_out] =
      shell(source_dir() + "/deploy/check-monitoring --metrics " + file.string());
  EXPECT_EQ(deploy_code, 0) << deploy_out;

  const auto m = samples_of(r.body);
  EXPECT_EQ(sample(m, "redis_connected"), 1);
  EXPECT_EQ(sample(m, "active_order_locks"), 1);
  EXPECT_GT(sample(m, "pg_pool_size"), 0);
  EXPECT_GT(sample(m, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(sample(m, "process_open_fds"), 3);
  EXPECT_GT(sample(m, series("redis_command_duration_seconds_count", "command=\"evalsha\"")) +
                sample(m, series("redis_command_duration_seconds_count", "command=\"eval\"")),
            0)
      << "the lock script, timed under its own command";
  EXPECT_GT(sample(m, "pg_query_duration_seconds_count"), 0);
  EXPECT_NE(r.body.find("bakewind_build_info{version=\""), std::string::npos);
}

TEST(observability, route_labels_are_patterns_never_paths_or_ids) {
  setup s("metrics_labels");
  const auto order = create_order(s.db, s.owner);
  ASSERT_EQ(lock_status(s.port(), s.owner, order).status, 200);
  ASSERT_EQ(http_call(s.port(), "GET", "/secret-path-" + order).status, 404);
  const auto r = scrape(s.port());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find(order), std::string::npos) << "an order id became a label value";
  EXPECT_EQ(r.body.find("secret-path"), std::string::npos) << "a raw path became a label value";
  const auto m = samples_of(r.body);
  EXPECT_EQ(sample(m, series("http_requests_total", "method=\"GET\",route=\"/api/v1/orders/{id}/lock\",status=\"200\"")),
            1);
  EXPECT_GE(sample(m, series("http_requests_total", "method=\"GET\",route=\"unmatched\",status=\"404\"")), 1);
}

TEST(observability, metrics_token_guards_the_scrape_when_set) {
  setup s("metrics_token", {{"METRICS_TOKEN", "scrape-me-0123456789"}});
  EXPECT_TRUE(is_unauthorized(scrape(s.port())));
  EXPECT_TRUE(is_unauthorized(scrape(s.port(), "scrape-me-012345678")));
  EXPECT_TRUE(is_unauthorized(scrape(s.port(), s.owner.access))) << "a user's token is not the scrape token";
  const auto ok = scrape(s.port(), "scrape-me-0123456789");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("# TYPE http_requests_total counter"), std::string::npos);
  EXPECT_EQ(http_call(s.port(), "GET", "/health").status, 200) << "health needs no token";
}

TEST(observability, health_stays_fast_and_counts_right_with_100000_unrelated_keys) {
  setup s("health_keys");
  const auto populated = redis_command(
      s.redis.port(), {"EVAL", "for i = 1, 100000 do redis.call('SET', 'unrelated:' .. i, 'x') end return 1", "0"});
  ASSERT_EQ(populated.integer, 1) << populated.text;
  ASSERT_GE(redis_command(s.redis.port(), {"DBSIZE"}).integer, 100000);
  for (int i = 0; i < 3; ++i) hand_off(s.port(), s.owner);
  EXPECT_EQ(wait_for_counts(s.port(), {0, 0, 3}), (counts{0, 0, 3})) << "SCAN found the 3 among 100,000";
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = http_call(s.port(), "GET", "/health");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    ASSERT_EQ(r.status, 200);
    std::this_thread::sleep_for(50ms);  // counts go stale: some calls start a new count
  }
  std::sort(ms.begin(), ms.end());
  std::printf("[ metrics  ] /health with 100,000 keys: median %.2f ms, max %.2f ms\n", ms[ms.size() / 2], ms.back());
  EXPECT_LT(ms[ms.size() / 2], 50.0) << "the count runs in the background, never in the request";
  EXPECT_LT(ms.back(), 50.0) << "not even a call that starts a new count waits for it";
}

TEST(observability, health_says_503_when_redis_is_down_and_keeps_the_last_counts) {
  setup s("health_down");
  ASSERT_EQ(wait_for_counts(s.port(), {0, 0, 0}), (counts{0, 0, 0}));
  s.redis.stop();
  const auto r = http_call(s.port(), "GET", "/health");
  ASSERT_EQ(r.status, 503) << r.body;
  const auto body = json_of(r);
  EXPECT_EQ(body.at("status").as_string(), "error");
  EXPECT_EQ(body.at("checks").at("redis").at("status").as_string(), "down");
  EXPECT_EQ(body.at("checks").at("postgres").at("status").as_string(), "up");
  EXPECT_EQ(body.at("redis").at("connected"), boost::json::value(false));
  EXPECT_TRUE(body.at("redis").at("uptimeSeconds").is_null());
  EXPECT_GE(body.at("redis").at("errors").to_number<std::int64_t>(), 1);
  EXPECT_EQ(counts_of(body), (counts{0, 0, 0})) << "the last figures, with their age";
  EXPECT_EQ(sample(metrics_now(s.port()), "redis_connected"), 0);

  s.redis.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline && status != 200) {
    status = http_call(s.port(), "GET", "/health").status;
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(status, 200) << "recovered";
  const auto back = health(s.port());
  EXPECT_GE(back.at("redis").at("reconnects").to_number<std::int64_t>(), 1);
}

TEST(observability, fallbacks_to_postgres_are_counted_and_logged_once_per_change_of_state) {
  setup s("metrics_fallback");
  const auto order = create_order(s.db, s.owner);
  ASSERT_EQ(me(s.port(), s.owner.access).status, 200);
  s.redis.stop();
  ASSERT_EQ(acquire(s.port(), s.owner, order, "pg-only").status, 201) << "PostgreSQL alone decides";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(me(s.port(), s.owner.access).status, 200);
  const auto down = metrics_now(s.port());
  EXPECT_EQ(sample(down, series("order_lock_acquisitions_total", "outcome=\"fallback_postgres\"")), 1);
  EXPECT_EQ(sample(down, series("order_lock_acquisitions_total", "outcome=\"acquired\"")), 0);
  EXPECT_GE(sample(down, "token_revocation_fallbacks_total"), 6);
  EXPECT_EQ(sample(down, "token_revocation_degraded"), 1);
  EXPECT_EQ(sample(down, "redis_connected"), 0);
  EXPECT_GE(sample(down, "redis_errors_total"), 1);
  // Each release and acquire announces an event; none can be published now.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(release(s.port(), s.owner, order, "pg-only").status, 204);
    ASSERT_EQ(acquire(s.port(), s.owner, order, "pg-only").status, 201);
  }
  EXPECT_GE(sample(metrics_now(s.port()), "live_events_dropped_total"), 7) << "every lost event is counted";

  s.redis.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  double degraded = 1;
  while (std::chrono::steady_clock::now() < deadline && degraded != 0) {
    ASSERT_EQ(me(s.port(), s.owner.access).status, 200);
    degraded = sample(metrics_now(s.port()), "token_revocation_degraded");
    if (degraded != 0) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(degraded, 0) << "Redis refilled and trusted again";
  ASSERT_EQ(release(s.port(), s.owner, order, "pg-only").status, 204);
  s.svc.process().wait_for_output("events published again", 5s);
  const auto log = s.svc.process().output();
  auto occurrences = [&](const std::string& text) {
    std::size_t n = 0;
    for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(occurrences("revocation checks fall back to postgres"), 1u) << "once, not once per request";
  EXPECT_EQ(occurrences("revocation checks answered by redis again"), 1u);
  EXPECT_EQ(occurrences("events not published"), 1u) << "one warning for the outage, not one per event";
  EXPECT_EQ(occurrences("events published again"), 1u);
}

TEST(observability, access_log_lines_carry_route_status_duration_user_and_request_id_but_no_secrets) {
  setup s("access_log");
  const auto r = http_call(s.port(), "GET", "/api/v1/auth/me", {},
                           bearer(s.owner.access) + "X-Request-Id: trace-me-42\r\n");
  ASSERT_EQ(r.status, 200);
  const auto id = hand_off(s.port(), s.owner);
  ASSERT_EQ(claim(s.port(), id).status, 200);
  // Stopped, so that the log holds every line of these requests.
  s.svc.process().signal(SIGTERM);
  ASSERT_EQ(s.svc.process().wait_for_exit(10s), 0) << s.svc.process().output();
  const auto log = s.svc.process().output();
  std::string line;
  std::istringstream lines(log);
  bool found = false;
  while (std::getline(lines, line)) {
    if (line.find("trace-me-42") == std::string::npos) continue;
    const auto entry = core::parse_json(line);
    ASSERT_TRUE(entry && entry->is_object()) << line;
    const auto& o = entry->as_object();
    EXPECT_EQ(o.at("msg").as_string(), "request");
    EXPECT_EQ(o.at("route").as_string(), "/api/v1/auth/me");
    EXPECT_EQ(o.at("status").to_number<int>(), 200);
    EXPECT_TRUE(o.at("durationMs").is_number());
    EXPECT_EQ(o.at("userId").as_string(), s.owner.id);
    found = true;
  }
  EXPECT_TRUE(found) << "no access-log line with the request id";
  EXPECT_TRUE(free_of(log, {s.owner.access, s.owner.refresh, s.owner.password, id}));
}

}  // namespace
}  // namespace bakewind::test::observability_e2e
