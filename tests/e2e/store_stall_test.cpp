// Issue 22 (one deadline per request): two instances share one Redis and
// this binary's own PostgreSQL, at the default deadlines. A store is frozen
// (SIGSTOP: a stalled host, a partition) or slowed (DEBUG SLEEP), and every
// route of API.md is sent at once as the fault begins, and again half a
// budget later: each answer must come within the route's worst case (README
// "Worst cases") and be right. Once the store is back, what was done
// meanwhile holds on both instances: no revoked token accepted, no lock
// granted twice, no stale order.

#include "store_stall_helpers.hpp"

namespace bakewind::test::stall_e2e {
namespace {

// ------------------------------------------------------------- Redis frozen

TEST(redis_frozen, every_route_answers_within_its_worst_case_and_rightly) {
  world w;
  w.warm_up();
  std::vector<outcome> all;
  {
    frozen_redis freeze(w.redis);
    const auto first = send_all(w.probes_while_redis_is_away(w.a.port(), "1"));
    std::this_thread::sleep_for(500ms);  // a second wave half a budget in, on the other instance
    const auto second = send_all(w.probes_while_redis_is_away(w.b.port(), "2"));
    all = first;
    all.insert(all.end(), second.begin(), second.end());
  }
  for (const auto& o : all) {
    EXPECT_LE(o.took, redis_worst) << o.name << " took " << o.took.count() << " ms";
    EXPECT_TRUE(o.expected.contains(o.status)) << o.name << " answered " << o.status << ": " << o.body;
  }
  print_slowest("redis frozen", all);
  w.check_after_redis_came_back();
}

// Frozen for long (9 s: past the read timeout, 2 s, the connections are
// dropped, and past three failed reconnects a mark waiting for one is
// dropped too), the writer's marks cannot reach Redis: every instance that
// saw Redis stop answering reads no copy until all copies made before have
// expired.
TEST(redis_frozen, a_change_made_late_in_a_long_freeze_is_read_at_once_afterwards) {
  world w;
  w.warm_up();
  wave_kit& k = w.kits.at("1");
  k.used = true;
  {
    frozen_redis freeze(w.redis);
    EXPECT_EQ(me(w.b.port(), w.owner.access).status, 200);  // the reader sees the freeze too
    std::this_thread::sleep_for(9s);
    const auto started = std::chrono::steady_clock::now();
    const auto r = authed(w.a.port(), "PATCH", "/api/v1/orders/" + k.order_to_patch, w.owner.access,
                          core::to_json(boost::json::object{{"customerName", "wave 1"}}), "X-Lock-Session: tab-p\r\n");
    EXPECT_LE(std::chrono::steady_clock::now() - started, redis_worst);
    ASSERT_EQ(r.status, 200) << r.body;
    k.patched = true;
    k.leaver.access = k.all_out.access = "";  // not logged out here
  }
  const auto until = std::chrono::steady_clock::now() + 2s;
  do {
    const auto r = authed(w.b.port(), "GET", "/api/v1/orders/" + k.order_to_patch, w.owner.access);
    ASSERT_EQ(r.status, 200);
    ASSERT_NE(r.body.find("\"wave 1\""), std::string::npos) << "a stale order after its PATCH: " << r.body;
  } while (std::chrono::steady_clock::now() < until);
}

// The first request of a freeze waits for its budget; the instance then
// holds Redis as not answering, so that every later request goes straight to
// the record. One line says when it began and one when it ended.
TEST(redis_frozen, one_episode_is_declared_counted_and_logged_once) {
  world w;
  w.warm_up();
  const double episodes = metric(w.a.port(), "redis_not_answering_episodes_total");
  const double refused = metric(w.a.port(), "redis_refused_total");
  const double fallbacks = metric(w.a.port(), "token_revocation_fallbacks_total");
  const auto lines_of = [&](const char* what) { return count_of(w.a.process().output(), what); };
  const std::size_t fell_back = lines_of("revocation checks fall back to postgres");
  const std::size_t came_back = lines_of("revocation checks answered by redis again");
  {
    frozen_redis freeze(w.redis);
    EXPECT_EQ(me(w.a.port(), w.owner.access).status, 200);
    EXPECT_GE(metric(w.a.port(), "redis_not_answering"), 1.0);
    // Every loop's connection owes a reply by now (the idle PING at the latest).
    std::this_thread::sleep_for(2100ms);
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) ASSERT_EQ(me(w.a.port(), w.owner.access).status, 200);
    const auto each = (std::chrono::steady_clock::now() - started) / 20;
    EXPECT_LT(each, 100ms) << "a request after the declaration still waits for Redis";
    EXPECT_GE(metric(w.a.port(), "redis_refused_total"), refused + 20);
  }
  EXPECT_TRUE(eventually([&] { return metric(w.a.port(), "redis_not_answering") == 0.0; }, 3s));
  EXPECT_EQ(metric(w.a.port(), "redis_not_answering_episodes_total"), episodes + 1);
  const std::string log = w.a.process().output();
  EXPECT_EQ(count_of(log, "redis not answering: requests stop asking it until it answers"), 1u) << log;
  EXPECT_EQ(count_of(log, "redis answering again"), 1u);
  // The checks it answered meanwhile: each counted, the fallback logged once.
  EXPECT_EQ(metric(w.a.port(), "token_revocation_fallbacks_total"), fallbacks + 21);
  EXPECT_EQ(lines_of("revocation checks fall back to postgres"), fell_back + 1);
  EXPECT_TRUE(eventually([&] {
    me(w.a.port(), w.owner.access);
    return lines_of("revocation checks answered by redis again") == came_back + 1;
  }, 3s));
}

// ------------------------------------------------------------- Redis slow

// A Redis that answers, slowly (each DEBUG SLEEP 0.6 s holds it, one after
// the other): a request's calls share one budget, so none waits much more
// than the budget whatever it asks, and the instance never holds Redis as
// not answering, since replies keep coming.
TEST(redis_slow, requests_keep_to_one_budget_and_a_slow_redis_is_never_declared_not_answering) {
  world w;
  w.warm_up();
  const double episodes = metric(w.a.port(), "redis_not_answering_episodes_total");
  std::vector<outcome> all;
  {
    slowed_redis slow(w.redis, 600ms);
    for (int round = 0; round < 3; ++round) {
      const auto wave = send_all(w.probes_while_redis_is_away(w.a.port(), "s" + std::to_string(round)));
      all.insert(all.end(), wave.begin(), wave.end());
    }
  }
  for (const auto& o : all) {
    EXPECT_LE(o.took, redis_worst) << o.name << " took " << o.took.count() << " ms";
    EXPECT_TRUE(o.expected.contains(o.status)) << o.name << " answered " << o.status << ": " << o.body;
  }
  print_slowest("redis slow", all);
  EXPECT_EQ(metric(w.a.port(), "redis_not_answering_episodes_total"), episodes) << "flapped under a slow Redis";
  w.check_after_redis_came_back();
}

// One command that holds Redis longer than the timeout is one episode, not
// a flapping: declared once, ended by the reply that comes after it.
TEST(redis_slow, one_command_longer_than_the_timeout_is_one_episode) {
  world w;
  w.warm_up();
  const double episodes = metric(w.a.port(), "redis_not_answering_episodes_total");
  std::thread sleeper([&] { redis_command(w.redis.port(), {"DEBUG", "SLEEP", "1.6"}); });
  std::this_thread::sleep_for(50ms);
  const auto deadline = std::chrono::steady_clock::now() + 2500ms;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(me(w.a.port(), w.owner.access).status, 200);
    EXPECT_LE(std::chrono::steady_clock::now() - started, redis_worst);
    std::this_thread::sleep_for(20ms);
  }
  sleeper.join();
  EXPECT_EQ(metric(w.a.port(), "redis_not_answering_episodes_total"), episodes + 1);
  EXPECT_EQ(metric(w.a.port(), "redis_not_answering"), 0.0);
}

// ------------------------------------------------------- PostgreSQL frozen

// Redis answers; PostgreSQL is frozen. What Redis alone answers (the access
// check, a cached order, lock status) is served; the rest is a 503 naming the
// database, within one PostgreSQL deadline and the Redis budget.
TEST(postgres_frozen, every_route_answers_within_its_worst_case_with_a_503_naming_the_database) {
  world w;
  w.warm_up();
  std::vector<outcome> all;
  {
    frozen_postgres freeze;
    all = send_all(w.probes_while_postgres_is_away(w.a.port()));
  }
  for (const auto& o : all) {
    EXPECT_LE(o.took, postgres_worst) << o.name << " took " << o.took.count() << " ms";
    EXPECT_TRUE(o.expected.contains(o.status)) << o.name << " answered " << o.status << ": " << o.body;
    if (o.status == 503 && o.name.find("/health") == std::string::npos) {
      EXPECT_NE(o.body.find("the database is not answering"), std::string::npos) << o.name << ": " << o.body;
    }
  }
  print_slowest("postgres frozen", all);
}

}  // namespace
}  // namespace bakewind::test::stall_e2e
