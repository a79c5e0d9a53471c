// Black-box tests of issue 7 (Redis Cluster): the real `bakewind serve`, two
// event loops, on a 3-master + 3-replica cluster given by REDIS_CLUSTER_NODES.
// Representative flows work, and the keys land where the key layout says:
// revocation keys in their user's slot, lock keys in their bakery's slot,
// one marker per slot; a master that loses its data is noticed for its slots.

#include "observability_helpers.hpp"
#include "support/redis_cluster.hpp"

#include <gtest/gtest.h>

#include <set>

namespace bakewind::test::cluster_e2e {
namespace {

using namespace observability_e2e;  // NOLINT: accounts, locks, counts are this file's vocabulary

http_reply logout(std::uint16_t port, const std::string& access, const std::string& refresh_token) {
  return authed(port, "POST", "/api/v1/auth/logout", access,
                core::to_json(boost::json::object{{"refreshToken", refresh_token}}));
}

std::size_t lines(const std::string& text) {
  return text.empty() ? 0 : static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

// One cluster, one database and one service for the whole suite.
struct deployment {
  deployment()
      : db(migrated_database("cluster")),
        svc(service_env(db, "redis://127.0.0.1:" + std::to_string(cluster.ports().front()),
                        {{"REDIS_CLUSTER_NODES", cluster.seeds()}, {"THREADS", "2"}})) {}

  /// The master that holds `key` now (CLUSTER KEYSLOT, then CLUSTER NODES).
  std::uint16_t master_of(const std::string& key) { return cluster.master_of(cluster.keyslot(key)); }

  /// How many keys match `pattern` on all masters together.
  std::size_t count_on_masters(const std::string& pattern) {
    std::size_t n = 0;
    for (const auto port : cluster.master_ports()) n += lines(redis_cli(port, {"--scan", "--pattern", pattern}));
    return n;
  }

  /// Waits until every slot has its marker `base:{...}`; how many there are.
  std::size_t wait_for_markers(const std::string& base) {
    std::size_t n = 0;
    for (int i = 0; i < 100 && (n = count_on_masters(base + ":*")) < 16384; ++i) {
      std::this_thread::sleep_for(100ms);
    }
    return n;
  }

  redis_cluster cluster;
  std::string db;
  service svc;
};

deployment& the_deployment() {
  static deployment d;
  return d;
}

class cluster_e2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto began = std::chrono::steady_clock::now();
    the_deployment();
    std::printf(
        "cluster + service ready in %lld ms\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count()));
  }
  deployment& d = the_deployment();
  std::uint16_t port() const { return d.svc.port(); }
};

TEST_F(cluster_e2e, register_login_me_and_a_logged_out_token_is_refused) {
  const auto owner = register_owner(port(), "cl_auth");
  EXPECT_EQ(me(port(), owner.access).status, 200);
  const auto again = login(port(), owner.email, owner.password);
  const auto who = me(port(), again.access);
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json_of(who), owner.user);

  ASSERT_EQ(logout(port(), again.access, again.refresh).status, 204);
  EXPECT_TRUE(is_revoked(me(port(), again.access)));
  EXPECT_TRUE(is_revoked(refresh(port(), again.refresh)));
  EXPECT_EQ(me(port(), owner.access).status, 200) << "the other session lives on";

  // The revocation sits in its user's slot, on the master serving it.
  const auto jti = jti_of(again.access);
  const auto key = revoked_key(owner.id, jti);
  EXPECT_EQ(d.cluster.keyslot(key), d.cluster.keyslot(cutoff_key(owner.id)));
  EXPECT_EQ(redis_cli(d.master_of(key), {"GET", key}), owner.id) << key;
  // And Redis was vouched for slot by slot: one marker in each of the 16384.
  EXPECT_EQ(d.wait_for_markers(k_revocation_marker), 16384U);
}

TEST_F(cluster_e2e, locks_are_acquired_refused_to_another_and_released) {
  const auto owner = register_owner(port(), "cl_locks");
  const auto staff = add_user(port(), owner, "staff", "cl_locks_staff");
  const auto order = create_order(d.db, owner);
  const auto first = acquire(port(), owner, order, "tab-a");
  ASSERT_TRUE(is_lock_reply(first, 201, order, owner, "tab-a")) << first.body;
  EXPECT_TRUE(is_locked_by(acquire(port(), staff, order, "tab-b"), order, owner, "tab-a"));
  const auto st = lock_status(port(), staff, order);
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(json_of(st).at("locked"), boost::json::value(true)) << st.body;
  const auto listed = list_locks(port(), owner);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json_of(listed).at("items").as_array().size(), 1U) << listed.body;

  const auto key = "order_lock:{" + owner.bakery_id + "}:" + order;
  EXPECT_EQ(d.cluster.keyslot(key), d.cluster.keyslot("locks:bakery:{" + owner.bakery_id + "}"));
  EXPECT_NE(redis_cli(d.master_of(key), {"GET", key}).find(owner.id), std::string::npos) << key;

  EXPECT_EQ(release(port(), owner, order, "tab-a").status, 204);
  EXPECT_EQ(redis_cli(d.master_of(key), {"EXISTS", key}), "0");
  EXPECT_TRUE(is_lock_reply(acquire(port(), staff, order, "tab-b"), 201, order, staff, "tab-b"));
  EXPECT_EQ(d.wait_for_markers("locks:ready:v2"), 16384U);
}

TEST_F(cluster_e2e, a_transfer_session_is_claimed_once_and_health_counts_over_every_master) {
  const auto owner = register_owner(port(), "cl_transfer");
  const auto id = hand_off(port(), owner);
  const auto c = claim(port(), id);
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(json_of(c).at("userId").as_string(), owner.id);
  EXPECT_TRUE(is_unauthorized(claim(port(), id), "Invalid or expired transfer session")) << "one time only";

  // Pending hand-offs are counted by SCAN on every master.
  std::set<std::uint16_t> holders;
  for (int i = 0; i < 12; ++i) holders.insert(d.master_of("auth:transfer:" + hand_off(port(), owner)));
  EXPECT_GE(holders.size(), 2U) << "hand-offs spread over several masters";
  const auto revoked =
      sql_value(d.db, "SELECT count(*) FROM revoked_tokens WHERE expires_at > now() AND NOT refresh");
  const auto locks = sql_value(d.db, "SELECT count(*) FROM order_locks WHERE expires_at > now()");
  const counts want{std::stoll(locks), std::stoll(revoked), 12};
  EXPECT_EQ(wait_for_counts(port(), want), want);
  const auto h = health(port());
  EXPECT_EQ(h.at("status").as_string(), "ok");
  EXPECT_EQ(h.at("redis").at("connected"), boost::json::value(true));
  EXPECT_GT(h.at("redis").at("usedMemoryBytes").as_int64(), 0);
}

// Last: it empties one master.
TEST_F(cluster_e2e, a_master_that_lost_its_data_is_noticed_for_its_slots_and_refilled) {
  const auto owner = register_owner(port(), "cl_flush");
  const auto gone = login(port(), owner.email, owner.password);
  ASSERT_EQ(logout(port(), gone.access, gone.refresh).status, 204);
  ASSERT_EQ(d.wait_for_markers(k_revocation_marker), 16384U);
  const auto jti = jti_of(gone.access);
  const auto key = revoked_key(owner.id, jti);
  const auto master = d.master_of(key);
  // Its keys and its slots' markers go. A refill may still be running (each
  // connection's first server starts one, and the cluster's connections open
  // as requests reach their nodes): flushed again until one is seen gone.
  std::size_t markers = 16384U;
  for (int i = 0; i < 20 && markers == 16384U; ++i) {
    if (i > 0) std::this_thread::sleep_for(250ms);
    ASSERT_EQ(redis_cli(master, {"FLUSHALL"}), "OK");
    markers = d.count_on_masters(std::string(k_revocation_marker) + ":*");
  }
  ASSERT_LT(markers, 16384U);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(is_revoked(me(port(), gone.access))) << "try " << i;
    EXPECT_EQ(me(port(), owner.access).status, 200) << "try " << i;
  }
  EXPECT_EQ(d.wait_for_markers(k_revocation_marker), 16384U);
  for (int i = 0; i < 50 && redis_cli(master, {"EXISTS", key}) != "1"; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(redis_cli(master, {"GET", key}), owner.id) << "refilled from PostgreSQL";
  EXPECT_TRUE(is_revoked(me(port(), gone.access)));
}

}  // namespace
}  // namespace bakewind::test::cluster_e2e
