// locks::lock_store's writes as the batcher runs them together (set-based
// statements per kind, rounds for repeated orders): every caller gets what
// the same writes give one by one.

#include "locks/lock_store.hpp"
#include "pg/errors.hpp"
#include "pg/migrate.hpp"
#include "pg_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bakewind::pg_test {
namespace {

using write = std::function<asio::awaitable<std::optional<locks::lock_info>>(locks::lock_store&)>;

class lock_store_batch_test : public pg_test {
 protected:
  void SetUp() override {
    pool_.emplace(io_.get_executor(), url_, 4, 5s);
    run(pg::migrate(*pool_));
    bakery_ = value("INSERT INTO bakeries (name) VALUES ('Crumb') RETURNING id::text");
    for (const char* who : {"u1", "u2"}) {
      users_.push_back(value("INSERT INTO users (bakery_id, email, password_hash, name, role) VALUES ('" + bakery_ +
                             "', '" + who + "@example.com', 'h', 'n', 'staff') RETURNING id::text"));
    }
    for (int i = 0; i < 6; ++i) {
      orders_.push_back(value("INSERT INTO orders (bakery_id, customer_name, items, total_cents, created_by) VALUES ('" +
                              bakery_ + "', 'Ann', '[]', 0, '" + users_[0] + "') RETURNING id::text"));
    }
  }

  std::string value(const std::string& sql) { return std::string(run(pool_->query(sql)).value(0, 0)); }

  write acquire(std::size_t order, std::size_t user, long long at) {
    return [this, order, user, at](locks::lock_store& s) {
      return s.try_acquire(orders_[order], bakery_, users_[user], "s" + std::to_string(user), at, at + 300'000);
    };
  }
  write renew(std::size_t order, std::size_t user, long long at) {
    return [this, order, user, at](locks::lock_store& s) {
      return s.renew(orders_[order], bakery_, users_[user], "s" + std::to_string(user), at, at + 300'000);
    };
  }
  write release(std::size_t order, std::size_t user) {
    return [this, order, user](locks::lock_store& s) {
      return s.release(orders_[order], bakery_, users_[user], "s" + std::to_string(user));
    };
  }

  // What a write answered, every field.
  static std::string outcome(const std::optional<locks::lock_info>& l) {
    if (!l) return "none";
    return l->order_id + " " + l->bakery_id + " " + l->user_id + " [" + l->user_name + "] " + l->session_id + " " +
           l->acquired_at + " " + l->expires_at + " " + l->last_activity_at;
  }

  // Two lone writes on orders 4 and 5 take both lanes at once; `writes`,
  // spawned behind them, wait and go together in one batch.
  std::vector<std::string> together(locks::lock_store& store, const std::vector<write>& writes) {
    std::vector<write> all{acquire(4, 0, now_), acquire(5, 0, now_)};
    all.insert(all.end(), writes.begin(), writes.end());
    std::vector<std::string> out(all.size());
    io_.restart();
    for (std::size_t i = 0; i < all.size(); ++i) {
      asio::co_spawn(io_, answer(store, all[i], out[i]), asio::detached);
    }
    io_.run();
    io_.restart();
    return {out.begin() + 2, out.end()};
  }

  std::vector<std::string> one_by_one(locks::lock_store& store, const std::vector<write>& writes) {
    std::vector<std::string> out(writes.size());
    for (std::size_t i = 0; i < writes.size(); ++i) run(answer(store, writes[i], out[i]));
    return out;
  }

  static asio::awaitable<void> answer(locks::lock_store& store, write w, std::string& out) {
    try {
      std::optional<locks::lock_info> l = co_await w(store);
      out = outcome(l);
    } catch (const pg::query_error& e) {
      out = "error " + e.sqlstate();
    }
  }

  void reset() { run(pool_->query("DELETE FROM order_locks")); }

  // Each order's lock holder's session, or "free".
  std::vector<std::string> holders() {
    std::vector<std::string> out;
    for (const std::string& o : orders_) {
      out.push_back(value("SELECT coalesce((SELECT session_id FROM order_locks WHERE order_id = '" + o +
                          "'), 'free')"));
    }
    return out;
  }

  std::optional<pg::pool> pool_;
  std::string bakery_;
  std::vector<std::string> users_;
  std::vector<std::string> orders_;
  long long now_ = 4'102'444'800'000;  // 2100-01-01: every lock given here is live
};

TEST_F(lock_store_batch_test, a_batch_of_mixed_writes_answers_exactly_as_the_writes_one_by_one) {
  // Order 0 passes from u1 to u2 within the batch, then u1 is refused it;
  // 1 is taken by u2 then renewed; 2 is u1's from before, renewed then
  // released; 3 is u1's and refused to u2; 4 is renewed beside 2.
  const std::vector<write> setup{acquire(2, 0, now_ - 1000), acquire(3, 0, now_ - 1000), acquire(4, 0, now_ - 1000),
                                 acquire(5, 0, now_ - 1000)};
  const std::vector<write> writes{acquire(0, 0, now_),     release(0, 0),          acquire(0, 1, now_ + 1),
                                  acquire(1, 1, now_ + 2), renew(2, 0, now_ + 3),  renew(1, 1, now_ + 4),
                                  release(2, 0),           acquire(3, 1, now_),    acquire(0, 0, now_ + 5),
                                  renew(4, 0, now_ + 6)};
  locks::lock_store sequential(*pool_);
  one_by_one(sequential, setup);
  const std::vector<std::string> expected = one_by_one(sequential, writes);
  const std::vector<std::string> holders_expected = holders();
  reset();

  locks::lock_store store(*pool_);
  one_by_one(store, setup);
  const std::vector<std::string> got = together(store, writes);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(holders(), holders_expected);
  EXPECT_EQ(holders_expected, (std::vector<std::string>{"s1", "s1", "free", "s0", "s0", "s0"}));
  EXPECT_EQ(expected[1].substr(0, orders_[0].size()), orders_[0]) << "u1 released order 0";
  EXPECT_EQ(expected[8], "none") << "u1 finds order 0 held by u2";
  EXPECT_EQ(expected[7], "none") << "order 3 stays u1's";
  EXPECT_EQ(store.writes().rejected_batches(), 0u) << "no statement touched a row twice";
  // The first write runs at once, alone (one lane); the other nine wait and
  // go as one batch, set-based by kind: acquires of 0 (u2's), 1 and 3;
  // renews of 2, 1 and 4; releases of 0 and 2. u1's second acquire of 0
  // runs on its own, after the others of order 0 (a row is touched once
  // per statement).
  static_assert(locks::lock_store::write_lanes == 1, "the layout above assumes one lane");
  EXPECT_EQ(store.writes().combined(), 3u);
  EXPECT_EQ(store.writes().combined_statements(), 8u);
}

TEST_F(lock_store_batch_test, a_write_the_server_rejects_fails_alone_and_the_rest_of_its_batch_commits) {
  const write bad_bakery = [this](locks::lock_store& s) {
    return s.try_acquire(orders_[3], "not-a-uuid", users_[0], "s0", now_, now_ + 300'000);
  };
  const std::vector<write> writes{acquire(0, 0, now_), bad_bakery, acquire(1, 0, now_), acquire(2, 1, now_)};
  locks::lock_store store(*pool_);
  const std::vector<std::string> got = together(store, writes);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1], "error 22P02");
  EXPECT_EQ(got[0].substr(0, orders_[0].size()), orders_[0]);
  EXPECT_EQ(got[2].substr(0, orders_[1].size()), orders_[1]);
  EXPECT_EQ(got[3].substr(0, orders_[2].size()), orders_[2]);
  EXPECT_EQ(store.writes().rejected_batches(), 1u) << "tried together first";
  EXPECT_EQ(holders(), (std::vector<std::string>{"s0", "s0", "s1", "free", "s0", "s0"}));
}

}  // namespace
}  // namespace bakewind::pg_test
