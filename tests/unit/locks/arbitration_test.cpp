// The lock decision as a table (locks/arbitration.hpp): every combination of
// what Redis answered, what PostgreSQL returned and the time, without a server.

#include "locks/arbitration.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bakewind::locks {
namespace {

constexpr long long now = 1'000'000;
constexpr long long ttl = 300'000;

lock_info lock(std::string acquired_at, long long expires_ms, std::string bakery = "b1") {
  lock_info l;
  l.order_id = "o1";
  l.bakery_id = std::move(bakery);
  l.user_id = "u1";
  l.session_id = "s1";
  l.acquired_at = std::move(acquired_at);
  l.expires_ms = expires_ms;
  return l;
}

redis_answer said(redis_verdict v, std::optional<lock_info> entry = std::nullopt) { return {v, std::move(entry)}; }

TEST(lock_arbitration, script_integers_have_names) {
  EXPECT_EQ(verdict_of(-1), redis_verdict::absent);
  EXPECT_EQ(verdict_of(0), redis_verdict::other_holder);
  EXPECT_EQ(verdict_of(1), redis_verdict::granted);
  EXPECT_EQ(verdict_of(2), redis_verdict::refreshed);
  EXPECT_EQ(verdict_of(3), redis_verdict::pending_other);
  EXPECT_EQ(verdict_of(-2), redis_verdict::unknown);
  EXPECT_EQ(verdict_of(7), redis_verdict::unknown);
}

TEST(lock_arbitration, an_unconfirmed_entry_says_so_in_redis_and_never_to_clients) {
  auto l = lock("t0", now + ttl);
  l.pending = true;
  const auto stored = to_redis_value(l);
  EXPECT_NE(stored.find("\"pending\":1"), std::string::npos) << stored;
  const auto back = from_redis_value(stored);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->pending);
  std::string client;
  append_json(client, *back);
  EXPECT_EQ(client.find("pending"), std::string::npos) << client;
  l.pending = false;
  EXPECT_EQ(to_redis_value(l).find("pending"), std::string::npos);
  EXPECT_FALSE(from_redis_value(to_redis_value(l))->pending);
}

TEST(lock_arbitration, only_another_holder_of_the_same_bakery_settles_an_acquire_in_redis) {
  EXPECT_TRUE(settled_by_redis(said(redis_verdict::other_holder, lock("t0", now + ttl)), "b1"));
  EXPECT_FALSE(settled_by_redis(said(redis_verdict::other_holder, lock("t0", now + ttl, "b2")), "b1"))
      << "an entry of another bakery is never shown: the record decides";
  EXPECT_FALSE(settled_by_redis(said(redis_verdict::other_holder), "b1")) << "no entry to show";
  for (auto v : {redis_verdict::unknown, redis_verdict::absent, redis_verdict::granted, redis_verdict::refreshed,
                 redis_verdict::pending_other}) {
    EXPECT_FALSE(settled_by_redis(said(v, lock("t0", now + ttl)), "b1"));
  }
}

struct acquire_case {
  const char* name;
  redis_verdict redis;
  int row;  // 0: refused; 1: granted as asked; 2: granted, holder already had it; 3: granted, expired by now
  acquire_verdict verdict;
  redis_fix fix;
  bool by_postgres_alone;
};

TEST(lock_arbitration, acquire_table) {
  using enum redis_verdict;
  using av = acquire_verdict;
  using fx = redis_fix;
  const acquire_case cases[] = {
      {"both grant: redis's unconfirmed entry is confirmed", granted, 1, av::granted, fx::confirm, false},
      {"redis down, record grants", unknown, 1, av::granted, fx::copy_row, true},
      {"redis had no verdict of ours, record grants", absent, 1, av::granted, fx::copy_row, false},
      {"stale holder in redis, record grants", other_holder, 1, av::granted, fx::copy_row, false},
      {"redis refreshed ours (re-encoded), record grants anew", refreshed, 1, av::granted, fx::copy_row, false},
      {"another's unconfirmed entry in redis, record grants", pending_other, 1, av::granted, fx::copy_row, false},
      {"another's unconfirmed entry in redis, record refuses", pending_other, 0, av::refused, fx::none, false},
      {"same holder again", refreshed, 2, av::regranted, fx::copy_row, false},
      {"same holder again, redis granted afresh", granted, 2, av::regranted, fx::copy_row, false},
      {"same holder again, redis down", unknown, 2, av::regranted, fx::copy_row, true},
      {"granted but expired by now: nothing to copy", unknown, 3, av::granted, fx::none, true},
      {"record refuses redis's grant", granted, 0, av::refused, fx::drop_ours, false},
      {"record refuses redis's refresh", refreshed, 0, av::refused, fx::drop_ours, false},
      {"record refuses, redis down", unknown, 0, av::refused, fx::none, true},
      {"record refuses, redis named another bakery's holder", other_holder, 0, av::refused, fx::none, false},
  };
  const lock_info wanted = lock("t1", now + ttl);
  for (const auto& c : cases) {
    std::optional<lock_info> row;
    if (c.row == 1) row = wanted;
    if (c.row == 2) row = lock("t0", now + ttl);
    if (c.row == 3) row = lock("t1", now - 1);
    const auto plan = plan_acquire(said(c.redis), row, wanted, now);
    EXPECT_EQ(plan.verdict, c.verdict) << c.name;
    EXPECT_EQ(plan.fix, c.fix) << c.name;
    EXPECT_EQ(plan.by_postgres_alone, c.by_postgres_alone) << c.name;
  }
}

TEST(lock_arbitration, renew_table) {
  using enum redis_verdict;
  struct renew_case {
    const char* name;
    redis_verdict redis;
    int row;  // 0: not held; 1: renewed; 2: renewed but expired by now
    bool renewed;
    redis_fix fix;
  };
  const renew_case cases[] = {
      {"both renew", refreshed, 1, true, redis_fix::none},
      {"redis down", unknown, 1, true, redis_fix::copy_row},
      {"redis lost the entry", absent, 1, true, redis_fix::copy_row},
      {"redis names another's unconfirmed entry", pending_other, 1, true, redis_fix::copy_row},
      {"redis names another holder (stale)", other_holder, 1, true, redis_fix::copy_row},
      {"renewed, expired by now", unknown, 2, true, redis_fix::none},
      {"record says not held, redis refreshed", refreshed, 0, false, redis_fix::drop_ours},
      {"record says not held, redis absent", absent, 0, false, redis_fix::none},
      {"record says not held, redis down", unknown, 0, false, redis_fix::none},
      {"record says not held, other holder", other_holder, 0, false, redis_fix::none},
  };
  for (const auto& c : cases) {
    std::optional<lock_info> row;
    if (c.row == 1) row = lock("t0", now + ttl);
    if (c.row == 2) row = lock("t0", now);
    const auto plan = plan_renew(said(c.redis), row, now);
    EXPECT_EQ(plan.renewed, c.renewed) << c.name;
    EXPECT_EQ(plan.fix, c.fix) << c.name;
  }
}

TEST(lock_arbitration, refusal_table) {
  const auto holder = std::optional<lock_info>(lock("t0", now + ttl));
  const std::optional<lock_info> none;
  EXPECT_EQ(after_refusal(true, holder, true), refusal_verdict::held);
  EXPECT_EQ(after_refusal(false, holder, true), refusal_verdict::held);
  EXPECT_EQ(after_refusal(true, none, true), refusal_verdict::released) << "let go between our two statements";
  EXPECT_EQ(after_refusal(false, none, true), refusal_verdict::not_held);
  EXPECT_EQ(after_refusal(true, none, false), refusal_verdict::not_found);
  EXPECT_EQ(after_refusal(false, none, false), refusal_verdict::not_found);
}

}  // namespace
}  // namespace bakewind::locks
