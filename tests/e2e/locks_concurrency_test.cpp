// Black-box tests of issue 5, order locks, part 2: of any number of
// concurrent acquisitions of one free order exactly one wins, on one instance
// and across two instances sharing Redis and PostgreSQL.

#include "observability_helpers.hpp"

#include <gtest/gtest.h>

namespace bakewind::test::locks_e2e {
namespace {

constexpr int k_orders = 20;

/// A service on the crowd's database with `threads` loops; these tests race
/// acquisitions, they do not fault a store.
env_list racing_env(const std::string& threads) {
  return instance::env(the_crowd().db, shared_redis().url(), 300, {{"THREADS", threads}, k_postgres_not_at_fault});
}

/// Races all 100 users of the crowd for each of `k_orders` fresh orders, users
/// spread over `ports`; then checks both stores name each winner.
void race_many(const std::vector<std::uint16_t>& ports, const std::string& label) {
  auto& c = the_crowd();
  const auto t0 = std::chrono::steady_clock::now();
  for (int round = 0; round < k_orders; ++round) {
    const auto order = create_order(c.db, c.users[0]);
    const auto r = race(ports, c.users, order);
    ASSERT_TRUE(one_winner(r, order, c.users)) << label << ", order " << round;
    const auto w = static_cast<std::size_t>(r.winner());
    const auto row = pg_lock(c.db, order);
    ASSERT_TRUE(row.has_value()) << label;
    EXPECT_EQ(row->first, c.users[w].id) << label << ": the row names the winner";
    EXPECT_EQ(row->second, "s-" + std::to_string(w));
    const auto entry = redis_lock(shared_redis().port(), order);
    ASSERT_TRUE(entry.has_value()) << label << ": the winner's Redis entry";
    EXPECT_EQ(entry->at("userId").as_string(), c.users[w].id) << label;
    EXPECT_EQ(entry->at("sessionId").as_string(), "s-" + std::to_string(w)) << label;
    // Every instance reports the same holder.
    for (const auto p : ports) {
      const auto st = lock_status(p, c.users[(w + 1) % c.users.size()], order);
      EXPECT_EQ(field(st, "userId"), c.users[w].id) << label << " port " << p << ": " << st.body;
    }
  }
  std::cerr << "[ info     ] " << label << ": " << k_orders << " races of 100 took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
            << " ms\n";
}

TEST(locks_concurrency, one_hundred_users_one_order_one_instance_exactly_one_winner) {
  service s(racing_env("4"));
  race_many({s.port()}, "one instance");
}

TEST(locks_concurrency, one_hundred_users_one_order_two_instances_exactly_one_winner) {
  service a(racing_env("4"));
  service b(racing_env("4"));
  race_many({a.port(), b.port()}, "two instances");
}

TEST(locks_concurrency, a_released_order_is_raced_again_with_one_winner) {
  // Acquire, release, race again, on the same order: a stale Redis entry or
  // row must not turn the next race into zero or two winners.
  auto& c = the_crowd();
  service a(racing_env("4"));
  service b(racing_env("4"));
  const auto order = create_order(c.db, c.users[0]);
  for (int round = 0; round < 5; ++round) {
    const auto r = race({a.port(), b.port()}, c.users, order);
    ASSERT_TRUE(one_winner(r, order, c.users)) << "round " << round;
    const auto w = static_cast<std::size_t>(r.winner());
    const auto rel = release(w % 2 == 0 ? b.port() : a.port(), c.users[w], order, "s-" + std::to_string(w));
    ASSERT_EQ(rel.status, 204) << rel.body;
  }
}

TEST(locks_concurrency, acquisitions_of_different_orders_at_once_commit_together_and_each_wins_its_own) {
  // One loop, two write lanes: a hundred acquisitions at once must share
  // transactions (lock_store's batches), and each caller still gets its own
  // order, recorded under its own name in both stores.
  auto& c = the_crowd();
  service s(racing_env("1"));
  std::vector<std::string> orders;
  for (std::size_t i = 0; i < c.users.size(); ++i) orders.push_back(create_order(c.db, c.users[0]));
  const auto r = race({s.port()}, c.users, orders);
  ASSERT_EQ(r.count(201), static_cast<int>(c.users.size())) << r.summary();
  for (std::size_t i = 0; i < c.users.size(); ++i) {
    const auto session = "s-" + std::to_string(i);
    EXPECT_TRUE(is_lock_reply(http_reply{201, {}, r.body[i]}, 201, orders[i], c.users[i], session));
    const auto row = pg_lock(c.db, orders[i]);
    ASSERT_TRUE(row.has_value()) << i;
    EXPECT_EQ(row->first, c.users[i].id);
    EXPECT_EQ(row->second, session);
  }
  const auto figures = observability_e2e::metrics_now(s.port());
  EXPECT_GT(observability_e2e::sample(figures, "order_lock_batched_writes_total"), 1)
      << "concurrent lock writes went together";
  EXPECT_GT(observability_e2e::sample(figures, "order_lock_write_batches_total"), 0);
  for (std::size_t i = 0; i < c.users.size(); ++i) {
    ASSERT_EQ(release(s.port(), c.users[i], orders[i], "s-" + std::to_string(i)).status, 204) << i;
    EXPECT_FALSE(pg_lock(c.db, orders[i]).has_value()) << i;
  }
}

}  // namespace
}  // namespace bakewind::test::locks_e2e
