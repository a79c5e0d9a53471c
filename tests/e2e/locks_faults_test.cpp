// Black-box tests of issue 5, order locks, part 3: expiry (ORDER_LOCK_TTL=2),
// late renewals and releases of a taken-over lock, Redis stopped and
// restarted empty or flushed (PostgreSQL decides alone; Redis is repaired),
// and Redis left with stale entries (suite locks_redis_stale: a release made
// while Redis hung, a renewal Redis lost).

#include "locks_helpers.hpp"
#include "support/postgres_server.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace bakewind::test::locks_e2e {
namespace {

constexpr int k_short_ttl = 2;

/// A service with ORDER_LOCK_TTL=2 on the shared Redis; an owner and two staff.
struct short_world {
  instance s{"locks_expiry", k_short_ttl, shared_redis().url()};
  account owner = register_owner(s.port(), "xowner");
  account a = add_user(s.port(), owner, "staff", "xa");
  account b = add_user(s.port(), owner, "staff", "xb");
  std::uint16_t port() const { return s.port(); }
  std::string order() const { return create_order(s.db, owner); }
};

short_world& sw() {
  static short_world the;
  return the;
}

/// Sleeps until the wall clock is past `epoch` + `margin` seconds.
void sleep_past(double epoch, double margin) {
  while (now_epoch() < epoch + margin) std::this_thread::sleep_for(10ms);
}

std::set<std::string> listed(std::uint16_t port, const account& who) {
  const auto r = list_locks(port, who);
  std::set<std::string> out;
  const auto r_body = json_of(r);
  for (const auto& l : r_body.at("items").as_array()) out.insert(std::string(l.at("orderId").as_string()));
  return out;
}

// ------------------------------------------------------------------- expiry

TEST(locks_expiry, the_row_goes_within_2s_of_expires_at_and_the_order_is_free) {
  const auto order = sw().order();
  const auto held = acquire(sw().port(), sw().a, order, "tab-a");
  ASSERT_TRUE(is_lock_reply(held, 201, order, sw().a, "tab-a"));
  const auto expires = epoch_field(held, "expiresAt");
  EXPECT_NEAR(expires - epoch_field(held, "acquiredAt"), k_short_ttl, 0.002) << held.body;

  // Alive until expiresAt.
  sleep_past(expires, -0.4);
  EXPECT_TRUE(pg_lock(sw().s.db, order).has_value()) << "deleted before expiresAt";
  EXPECT_EQ(json_of(lock_status(sw().port(), sw().b, order)).at("locked"), boost::json::value(true));

  // Gone from order_locks within 2 s after expiresAt.
  double gone_at = 0;
  while (now_epoch() < expires + 4.0) {
    if (!pg_lock(sw().s.db, order)) {
      gone_at = now_epoch();
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_GT(gone_at, 0) << "the row is still there 4 s after expiresAt";
  std::cerr << "[ info     ] row deleted " << static_cast<int>((gone_at - expires) * 1000) << " ms after expiresAt\n";
  EXPECT_LE(gone_at - expires, 2.0 + 0.05) << "deleted " << gone_at - expires << " s after expiresAt";

  const auto st = lock_status(sw().port(), sw().b, order);
  EXPECT_EQ(st.status, 200);
  EXPECT_EQ(st.body, R"({"locked":false})");
  EXPECT_FALSE(redis_lock(shared_redis().port(), order).has_value()) << "the Redis entry expired too";
  EXPECT_EQ(listed(sw().port(), sw().owner).count(order), 0u);
  // The former holder has nothing to renew or release.
  EXPECT_TRUE(is_error(renew(sw().port(), sw().a, order, "tab-a"), 404, "Not Found", "Lock not found"));
  EXPECT_TRUE(is_error(release(sw().port(), sw().a, order, "tab-a"), 404, "Not Found", "Lock not found"));
  EXPECT_FALSE(pg_lock(sw().s.db, order).has_value()) << "a late renewal must not bring the lock back";
  // And anybody can take it.
  EXPECT_TRUE(is_lock_reply(acquire(sw().port(), sw().b, order, "tab-b"), 201, order, sw().b, "tab-b"));
}

TEST(locks_expiry, an_expired_lock_not_yet_swept_is_free_for_status_renew_and_acquire) {
  // Straight after expiresAt, before any sweep could run: the row may still
  // be there, yet the lock is dead for everyone.
  const auto order = sw().order();
  const auto held = acquire(sw().port(), sw().a, order, "tab-a");
  ASSERT_EQ(held.status, 201) << held.body;
  sleep_past(epoch_field(held, "expiresAt"), 0.02);
  EXPECT_TRUE(is_error(renew(sw().port(), sw().a, order, "tab-a"), 404, "Not Found", "Lock not found"))
      << "a renewal after expiresAt revives nothing";
  EXPECT_EQ(lock_status(sw().port(), sw().b, order).body, R"({"locked":false})");
  EXPECT_TRUE(is_lock_reply(acquire(sw().port(), sw().a, order, "tab-a"), 201, order, sw().a, "tab-a"))
      << "the former holder acquires anew: 201, not 200";
}

TEST(locks_expiry, renewing_keeps_the_lock_past_its_first_expiry) {
  const auto order = sw().order();
  const auto held = acquire(sw().port(), sw().a, order, "tab-a");
  ASSERT_EQ(held.status, 201) << held.body;
  const auto first_expiry = epoch_field(held, "expiresAt");
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(900ms);
    const auto r = renew(sw().port(), sw().a, order, "tab-a");
    ASSERT_TRUE(is_lock_reply(r, 200, order, sw().a, "tab-a")) << "renewal " << i;
  }
  ASSERT_GT(now_epoch(), first_expiry + 0.5);
  EXPECT_TRUE(pg_lock(sw().s.db, order).has_value()) << "the sweeper deleted a renewed lock";
  const auto st = lock_status(sw().port(), sw().b, order);
  EXPECT_EQ(field(st, "userId"), sw().a.id) << st.body;
  EXPECT_TRUE(is_locked_by(acquire(sw().port(), sw().b, order, "tab-b"), order, sw().a, "tab-a"));
  EXPECT_EQ(release(sw().port(), sw().a, order, "tab-a").status, 204);
}

// ------------------------------------------------------ expired, taken over

/// A's lock expires and B takes the order (right after expiresAt, or after
/// the sweeper deleted A's row); A's late renewal and release must not touch
/// B's lock in either store.
void late_holder_cannot_touch_the_new_lock(bool wait_for_sweep) {
  auto& w = sw();
  const auto order = w.order();
  const auto old = acquire(w.port(), w.a, order, "tab-a");
  ASSERT_EQ(old.status, 201) << old.body;
  const auto expires = epoch_field(old, "expiresAt");
  sleep_past(expires, 0.05);
  if (wait_for_sweep) {
    while (pg_lock(w.s.db, order) && now_epoch() < expires + 4) std::this_thread::sleep_for(20ms);
    ASSERT_FALSE(pg_lock(w.s.db, order).has_value()) << "not swept";
  }
  const auto taken = acquire(w.port(), w.b, order, "tab-b");
  ASSERT_TRUE(is_lock_reply(taken, 201, order, w.b, "tab-b"));

  // A's late renewal: 409 naming B, or 404 Lock not found; never 200.
  const auto rn = renew(w.port(), w.a, order, "tab-a");
  EXPECT_TRUE(rn.status == 409 || rn.status == 404) << rn.status << " " << rn.body;
  if (rn.status == 409) {
    EXPECT_TRUE(is_locked_by(rn, order, w.b, "tab-b"));
  } else if (rn.status == 404) {
    EXPECT_TRUE(is_error(rn, 404, "Not Found", "Lock not found"));
  }
  // A's late release: 404 Lock not found.
  EXPECT_TRUE(is_error(release(w.port(), w.a, order, "tab-a"), 404, "Not Found", "Lock not found"));
  // A's late acquire: 409 naming B.
  EXPECT_TRUE(is_locked_by(acquire(w.port(), w.a, order, "tab-a"), order, w.b, "tab-b"));

  // B's lock is intact everywhere: GET, the row, the Redis entry.
  const auto st = lock_status(w.port(), w.owner, order);
  ASSERT_EQ(st.status, 200) << st.body;
  auto body = json_of(st);
  EXPECT_EQ(body.at("locked"), boost::json::value(true)) << st.body;
  body.erase("locked");
  EXPECT_EQ(body, json_of(taken)) << "B's lock unchanged: " << st.body;
  const auto row = pg_lock(w.s.db, order);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->first, w.b.id);
  EXPECT_EQ(row->second, "tab-b");
  const auto entry = redis_lock(shared_redis().port(), order);
  ASSERT_TRUE(entry.has_value()) << "A's release deleted B's Redis entry";
  EXPECT_EQ(entry->at("userId").as_string(), w.b.id);
  EXPECT_EQ(entry->at("sessionId").as_string(), "tab-b");
  EXPECT_EQ(listed(w.port(), w.owner).count(order), 1u);
  // B still works its lock.
  EXPECT_TRUE(is_lock_reply(renew(w.port(), w.b, order, "tab-b"), 200, order, w.b, "tab-b"));
  EXPECT_EQ(release(w.port(), w.b, order, "tab-b").status, 204);
}

TEST(locks_takeover, right_after_expiry_the_old_holder_cannot_renew_or_release_the_new_lock) {
  late_holder_cannot_touch_the_new_lock(false);
}

TEST(locks_takeover, after_the_sweep_the_old_holder_cannot_renew_or_release_the_new_lock) {
  late_holder_cannot_touch_the_new_lock(true);
}

// -------------------------------------------------------------- Redis down

TEST(locks_redis_faults, redis_stopped_then_restarted_empty_never_double_grants_and_is_repaired) {
  constexpr int ttl = 30;
  auto& c = the_crowd();
  const std::vector<account> users(c.users.begin(), c.users.begin() + 20);
  redis_server redis;
  service a(instance::env(c.db, redis.url(), ttl, {k_postgres_not_at_fault}));
  service b(instance::env(c.db, redis.url(), ttl, {k_postgres_not_at_fault}));
  const auto order = create_order(c.db, c.users[0]);
  const auto spare = create_order(c.db, c.users[0]);

  // A key no refill writes: its absence after the restart below shows that
  // Redis came back empty, however soon the refills write their own keys.
  ASSERT_EQ(redis_command(redis.port(), {"SET", "test:before-restart", "1"}).text, "OK");
  redis.stop();
  // Two instances, PostgreSQL alone: exactly one winner.
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = race({a.port(), b.port()}, users, order);
  std::cerr << "[ info     ] race of 20 with Redis down took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
            << " ms\n";
  ASSERT_TRUE(one_winner(r, order, users)) << "Redis down";
  const auto wi = static_cast<std::size_t>(r.winner());
  const auto& winner = users[wi];
  const auto session = "s-" + std::to_string(wi);
  const auto& other = users[(wi + 1) % users.size()];
  const auto row = pg_lock(c.db, order);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->first, winner.id);

  // Renew, status, list, release still work, on both instances, no 5xx.
  for (const auto p : {a.port(), b.port()}) {
    EXPECT_TRUE(is_lock_reply(renew(p, winner, order, session), 200, order, winner, session)) << "port " << p;
    const auto st = lock_status(p, other, order);
    ASSERT_EQ(st.status, 200) << st.body;
    EXPECT_TRUE(is_lock_info(json_of(st), order, winner, session, {"locked"})) << st.body;
    EXPECT_TRUE(is_locked_by(renew(p, other, order, "x"), order, winner, session));
    EXPECT_TRUE(is_error(release(p, other, order, "x"), 404, "Not Found", "Lock not found"));
    EXPECT_TRUE(is_locked_by(acquire(p, other, order, "x"), order, winner, session));
    EXPECT_EQ(listed(p, other).count(order), 1u);
    const auto st_spare = lock_status(p, other, spare);
    EXPECT_EQ(st_spare.body, R"({"locked":false})") << st_spare.status;
  }
  ASSERT_TRUE(is_lock_reply(acquire(a.port(), other, spare, "sp"), 201, spare, other, "sp"));
  EXPECT_TRUE(is_locked_by(acquire(b.port(), winner, spare, "sp"), spare, other, "sp"));
  EXPECT_EQ(release(b.port(), other, spare, "sp").status, 204);
  EXPECT_EQ(lock_status(a.port(), winner, spare).body, R"({"locked":false})");

  // Redis back, empty: no double grant, and the entry is repaired.
  redis.start();
  ASSERT_EQ(redis_command(redis.port(), {"EXISTS", "test:before-restart"}).integer, 0);
  std::optional<boost::json::object> entry;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int tries = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++tries;
    for (const auto p : {a.port(), b.port()}) {
      EXPECT_TRUE(is_locked_by(acquire(p, other, order, "late"), order, winner, session))
          << "Redis restarted empty, try " << tries << ", port " << p;
    }
    entry = redis_lock(redis.port(), order);
    if (entry) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(entry.has_value()) << "order_lock:" << order << " not repaired within 10 s (" << tries << " tries)";
  std::cerr << "[ info     ] Redis entry repaired after " << tries << " refused acquisition(s) per instance\n";
  EXPECT_EQ(entry->at("userId").as_string(), winner.id);
  EXPECT_EQ(entry->at("sessionId").as_string(), session);
  const auto pttl = redis_command(redis.port(), {"PTTL", redis_lock_key(redis.port(), order)}).integer;
  const double pttl_read_at = now_epoch();  // the PTTL was read no later than this
  EXPECT_GT(pttl, 0) << "the repaired entry has a TTL";
  EXPECT_LE(pttl, ttl * 1000);
  const auto row_expiry = sql_value(c.db,
                                    "SELECT round(extract(epoch FROM expires_at) * 1000)::bigint FROM "
                                    "order_locks WHERE order_id = '" +
                                        order + "'");
  EXPECT_LE(static_cast<double>(pttl) / 1000.0, std::stod(row_expiry) / 1000.0 - pttl_read_at + 0.05)
      << "the repaired entry does not outlive the row";

  // A race on the held order now: nobody wins.
  const auto again = race({a.port(), b.port()}, users, order);
  EXPECT_EQ(again.count(201), 0) << "a second grant: " << again.summary();
  EXPECT_EQ(again.server_errors(), 0) << again.summary();
  EXPECT_EQ(again.status[wi], 200) << "the holder's own session: " << again.body[wi];
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (i != wi) {
      EXPECT_TRUE(is_locked_by({again.status[i], {}, again.body[i]}, order, winner, session)) << i;
    }
  }
  // Status from both instances, and a release that cleans both stores.
  for (const auto p : {a.port(), b.port()}) EXPECT_EQ(field(lock_status(p, other, order), "userId"), winner.id);
  EXPECT_EQ(release(b.port(), winner, order, session).status, 204);
  EXPECT_FALSE(pg_lock(c.db, order).has_value());
  // A refill started by the restart (or by the 5 s marker check) that read
  // PostgreSQL before the release may write the entry back; its second read
  // removes it again at once. Known and bounded (see the issue 7 notes): the
  // entry must be gone within 2 s, and no grant depends on it meanwhile.
  const auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (redis_lock(redis.port(), order).has_value() && std::chrono::steady_clock::now() < gone_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(redis_lock(redis.port(), order).has_value());
}

// ------------------------------------------------------------- Redis hung
//
// Beyond "stopped": a Redis that hangs (SIGSTOP: a partition, a stalled
// node) and then resumes with its old data. Changes made through PostgreSQL
// alone meanwhile must not leave Redis answering with a stale lock.

/// SIGSTOPs a Redis for its lifetime (SIGCONT in the destructor, whatever happens).
struct hang {
  explicit hang(redis_server& r) : pid(r.pid()) { ::kill(pid, SIGSTOP); }
  ~hang() { resume(); }
  void resume() {
    if (pid > 0) ::kill(pid, SIGCONT);
    pid = -1;
  }
  int pid;
};

struct own_redis {
  explicit own_redis(const std::string& prefix, int ttl)
      : db(migrated_database(prefix)), svc(instance::env(db, redis.url(), ttl, {{"REDIS_COMMAND_TIMEOUT_MS", "300"}})) {
    owner = register_owner(svc.port(), prefix);
    other = add_user(svc.port(), owner, "staff", prefix + "_b");
  }
  /// A status read, until Redis is trusted for status (the service's
  /// `locks:ready:v2` marker is set): reads are then answered from Redis.
  void warm_up(const std::string& order) const {
    for (int i = 0; i < 100 && redis_command(redis.port(), {"EXISTS", "locks:ready:v2"}).integer == 0; ++i) {
      lock_status(port(), other, order);
      std::this_thread::sleep_for(20ms);
    }
  }
  std::uint16_t port() const { return svc.port(); }
  redis_server redis;
  std::string db;
  service svc;
  account owner;
  account other;
};

TEST(locks_redis_stale, a_lock_released_while_redis_hung_is_free_once_it_resumes) {
  own_redis w("locks_hang_release", 30);
  const auto order = create_order(w.db, w.owner);
  ASSERT_EQ(acquire(w.port(), w.owner, order, "tab-a").status, 201);
  ASSERT_TRUE(redis_lock(w.redis.port(), order).has_value());
  w.warm_up(order);
  {
    hang h(w.redis);
    const auto r = release(w.port(), w.owner, order, "tab-a");
    ASSERT_EQ(r.status, 204) << "release with Redis hung: " << r.body;
  }
  ASSERT_TRUE(redis_ping(w.redis.port(), 2000));
  EXPECT_FALSE(pg_lock(w.db, order).has_value());
  const auto stale = redis_lock(w.redis.port(), order);
  if (stale) std::cerr << "[ info     ] Redis still holds the released lock: " << core::to_json(*stale) << "\n";
  // Free again, at the latest shortly after Redis is back (a repair may take a moment).
  http_reply st;
  for (int i = 0; i < 40; ++i) {
    st = lock_status(w.port(), w.other, order);
    if (st.body == R"({"locked":false})") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(st.body, R"({"locked":false})") << "status of a released order 2 s after Redis resumed";
  const auto r = acquire(w.port(), w.other, order, "tab-b");
  EXPECT_TRUE(is_lock_reply(r, 201, order, w.other, "tab-b")) << "the released order is free for the next user";
}

// A Redis that comes back with older data (a failover to a replica that
// lagged, a restart from an older snapshot: here a restart from an RDB saved
// before the change) holds the "refilled" marker but not the latest writes.
// Its run_id changed, so the service answers from PostgreSQL until it has
// refilled it, and the refill drops what PostgreSQL no longer holds.
TEST(locks_redis_stale, a_renewal_lost_by_an_older_redis_still_shows_the_lock_after_its_old_expiry) {
  constexpr int ttl = 4;
  own_redis w("locks_stale_renew", ttl);
  const auto order = create_order(w.db, w.owner);
  const auto held = acquire(w.port(), w.owner, order, "tab-a");
  ASSERT_EQ(held.status, 201) << held.body;
  const auto old_expiry = epoch_field(held, "expiresAt");
  w.warm_up(order);
  ASSERT_EQ(redis_command(w.redis.port(), {"SAVE"}).text, "OK");
  sleep_past(epoch_field(held, "acquiredAt"), 1.5);
  const auto r = renew(w.port(), w.owner, order, "tab-a");
  ASSERT_TRUE(is_lock_reply(r, 200, order, w.owner, "tab-a"));
  const auto new_expiry = epoch_field(r, "expiresAt");
  w.redis.stop();
  w.redis.start();  // the entry with its old expiry comes back

  sleep_past(old_expiry, 0.2);  // the old entry's TTL ran out; the row lives on
  ASSERT_LT(now_epoch(), new_expiry - 0.3) << "too slow to check the window";
  ASSERT_TRUE(pg_lock(w.db, order).has_value());
  const auto st = lock_status(w.port(), w.other, order);
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(json_of(st).at("locked"), boost::json::value(true))
      << "a live, renewed lock reported free (Redis lost its renewal): " << st.body;
  EXPECT_TRUE(is_locked_by(acquire(w.port(), w.other, order, "tab-b"), order, w.owner, "tab-a"))
      << "never a double grant";
}

TEST(locks_redis_stale, a_release_lost_by_an_older_redis_leaves_the_order_free) {
  own_redis w("locks_stale_release", 30);
  const auto order = create_order(w.db, w.owner);
  ASSERT_EQ(acquire(w.port(), w.owner, order, "tab-a").status, 201);
  w.warm_up(order);
  ASSERT_EQ(redis_command(w.redis.port(), {"SAVE"}).text, "OK");
  ASSERT_EQ(release(w.port(), w.owner, order, "tab-a").status, 204);
  w.redis.stop();
  w.redis.start();  // the released lock's entry comes back
  ASSERT_TRUE(redis_lock(w.redis.port(), order).has_value()) << "the test needs the stale entry back";

  const auto st = lock_status(w.port(), w.other, order);
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(st.body, R"({"locked":false})") << "a released lock shown as held by an older Redis";
  // The refill drops the stale entry soon: until then an acquire may be
  // refused on its word (never granted twice), after it the order is free.
  std::optional<boost::json::object> left = redis_lock(w.redis.port(), order);
  for (int i = 0; i < 40 && left; ++i) {
    std::this_thread::sleep_for(50ms);
    left = redis_lock(w.redis.port(), order);
  }
  EXPECT_FALSE(left.has_value()) << "stale entry still in Redis 2 s after the server changed";
  EXPECT_TRUE(is_lock_reply(acquire(w.port(), w.other, order, "tab-b"), 201, order, w.other, "tab-b"))
      << "the released order is free for the next user";
}

// An acquire writes Redis before PostgreSQL confirms the grant. A refill
// that runs meanwhile (a new process, a server change, here a deleted
// marker) finds an entry the record does not hold yet: dropping it at once
// let a second caller win Redis while PostgreSQL confirmed the first, and
// the losers were told the wrong holder. It stays while its statement may
// still run (PG_TIMEOUT_MS + 1 s: 2 s here), and goes once that is over if
// the record still does not hold it.
TEST(locks_redis_stale, a_refill_leaves_a_grant_being_confirmed_and_drops_it_once_its_window_is_over) {
  own_redis w("locks_refill_in_flight", 30);
  const auto order = create_order(w.db, w.owner);
  w.warm_up(order);
  const auto granted_at = std::chrono::steady_clock::now();
  ASSERT_EQ(acquire(w.port(), w.owner, order, "tab-a").status, 201);
  // As if its statement had not committed yet: the row goes, the entry stays.
  sql(w.db, "DELETE FROM order_locks WHERE order_id = '" + order + "'");
  ASSERT_EQ(redis_command(w.redis.port(), {"DEL", "locks:ready:v2"}).integer, 1);
  lock_status(w.port(), w.other, order);  // finds the marker gone: the refill starts
  std::this_thread::sleep_until(granted_at + 1s);
  EXPECT_TRUE(redis_lock(w.redis.port(), order).has_value()) << "a grant 1 s old dropped by the refill";
  bool repaired = false;
  for (int i = 0; i < 60 && !repaired; ++i) {
    std::this_thread::sleep_for(50ms);
    repaired = !redis_lock(w.redis.port(), order) &&
               redis_command(w.redis.port(), {"EXISTS", "locks:ready:v2"}).integer == 1;
  }
  EXPECT_TRUE(repaired) << "4 s after the grant: the entry the record does not hold is still there, or no marker";
  EXPECT_TRUE(is_lock_reply(acquire(w.port(), w.other, order, "tab-b"), 201, order, w.other, "tab-b"))
      << "the order is free for the next user";
}

TEST(locks_redis_faults, redis_flushed_while_running_never_double_grants_and_is_repaired) {
  own_redis w("locks_flush", 30);
  const auto order = create_order(w.db, w.owner);
  const auto held = acquire(w.port(), w.owner, order, "tab-a");
  ASSERT_EQ(held.status, 201) << held.body;
  w.warm_up(order);
  ASSERT_EQ(redis_command(w.redis.port(), {"FLUSHALL"}).text, "OK");
  EXPECT_TRUE(is_locked_by(acquire(w.port(), w.other, order, "tab-b"), order, w.owner, "tab-a"));
  const auto st = lock_status(w.port(), w.other, order);
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(json_of(st).at("locked"), boost::json::value(true)) << st.body;
  // Repaired by the refill the missing marker started (a refused acquire no
  // longer copies the holder it read: by the time the copy landed, that
  // holder could have let go).
  auto entry = redis_lock(w.redis.port(), order);
  for (int i = 0; i < 100 && !entry; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    entry = redis_lock(w.redis.port(), order);
  }
  ASSERT_TRUE(entry.has_value()) << "not repaired within 5 s";
  EXPECT_EQ(entry->at("userId").as_string(), w.owner.id);
  const auto pttl = redis_command(w.redis.port(), {"PTTL", redis_lock_key(w.redis.port(), order)}).integer;
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 30000);
  EXPECT_TRUE(is_lock_reply(renew(w.port(), w.owner, order, "tab-a"), 200, order, w.owner, "tab-a"));
  EXPECT_EQ(release(w.port(), w.owner, order, "tab-a").status, 204);
  EXPECT_FALSE(redis_lock(w.redis.port(), order).has_value());
}


// ---------------------------------------------------------- postgres down

TEST(locks_postgres_faults, an_acquire_postgres_never_answered_leaves_no_lock_in_redis) {
  // Its own PostgreSQL, stopped mid-test; one loop, so the users cached by
  // the first calls are the ones the outage is served with.
  postgres_server pg;
  redis_server redis;
  const auto db = pg.fresh_database("locks_pg_down");
  const auto [code, output] = run_bakewind({"migrate"}, {{"DATABASE_URL", db}});
  ASSERT_EQ(code, 0) << output;
  service s(instance::env(db, redis.url(), 30, {{"THREADS", "1"}}));
  const auto owner = register_owner(s.port(), "pgdown");
  const auto a = add_user(s.port(), owner, "staff", "pgdown_a");
  const auto order = create_order(db, owner);
  const auto spare = create_order(db, owner);
  ASSERT_EQ(acquire(s.port(), a, spare, "warm").status, 201);  // caches a's name
  ASSERT_EQ(release(s.port(), a, spare, "warm").status, 204);
  ASSERT_EQ(acquire(s.port(), owner, spare, "warm").status, 201);
  ASSERT_EQ(release(s.port(), owner, spare, "warm").status, 204);

  pg.stop();
  // Redis grants first, PostgreSQL never answers: a clear 503, and the grant
  // Redis made must not stand, or the order would show as held (and refuse
  // everyone else) for the whole TTL on a lock nobody holds.
  EXPECT_TRUE(is_error(acquire(s.port(), a, order, "tab-a"), 503, "Service Unavailable",
                       "Order locks are unavailable: the database is not answering"));
  EXPECT_FALSE(redis_lock(redis.port(), order).has_value()) << "a lock PostgreSQL never granted stays in Redis";
  EXPECT_TRUE(is_error(acquire(s.port(), owner, order, "tab-o"), 503, "Service Unavailable",
                       "Order locks are unavailable: the database is not answering"))
      << "not a 409 on the word of the unconfirmed grant";

  pg.start();
  std::optional<http_reply> got;
  for (int i = 0; i < 100 && (!got || got->status == 503); ++i) {
    std::this_thread::sleep_for(100ms);
    got = acquire(s.port(), owner, order, "tab-o");
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(is_lock_reply(*got, 201, order, owner, "tab-o")) << "PostgreSQL back: the order is free";
  EXPECT_TRUE(is_locked_by(acquire(s.port(), a, order, "tab-a"), order, owner, "tab-o"));
}

}  // namespace
}  // namespace bakewind::test::locks_e2e
