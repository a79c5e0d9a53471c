// The history checker (support/history.hpp) on hand-made histories: each
// broken promise is found, with the operation that shows it, and each
// history that some order of its operations explains passes, however its
// requests overlapped or whether their answers were lost.

#include "support/history.hpp"

#include <gtest/gtest.h>

#include <random>

namespace bakewind::test::history {
namespace {

const clock::time_point t0 = clock::now();

// An operation from `from` to `to` milliseconds after t0.
operation op(std::string object, std::string action, std::string client, int status, double from, double to,
             std::string seen = {}) {
  const auto at = [](double ms) {
    return t0 + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double, std::milli>(ms));
  };
  return {std::move(object), std::move(action), std::move(client), status, std::move(seen), at(from), at(to)};
}

operation lock(std::string action, std::string session, int status, double from, double to, std::string seen = {}) {
  return op("order:1", std::move(action), std::move(session), status, from, to, std::move(seen));
}

TEST(history, a_lock_taken_in_turns_holds) {
  const auto v = check({lock("acquire", "a", 201, 0, 1), lock("acquire", "b", 409, 2, 3), lock("patch", "a", 200, 4, 5),
                        lock("renew", "a", 200, 6, 7), lock("acquire", "a", 200, 8, 9), lock("release", "a", 204, 10, 11),
                        lock("patch", "a", 409, 12, 13), lock("acquire", "b", 201, 14, 15),
                        lock("observe", "", 200, 16, 17, "b"), lock("release", "a", 404, 18, 19),
                        lock("force_release", "", 204, 20, 21), lock("renew", "b", 404, 22, 23)});
  EXPECT_TRUE(v.holds()) << v.describe();
  EXPECT_EQ(v.objects, 1U);
  EXPECT_EQ(v.operations, 12U);
}

TEST(history, a_second_grant_before_the_first_is_released_is_a_violation) {
  const auto v = check({lock("acquire", "a", 201, 0, 1), lock("acquire", "b", 201, 2, 3), lock("release", "a", 204, 4, 5)});
  ASSERT_EQ(v.violations.size(), 1U) << v.describe();
  // The answer no order explains is the second grant, marked, with the state it met.
  EXPECT_NE(v.violations[0].find("=> 2.000 .. 3.000 ms  acquire by b -> 201"), std::string::npos) << v.describe();
  EXPECT_NE(v.violations[0].find("state then: 'a'"), std::string::npos) << v.describe();
}

TEST(history, a_grant_overlapping_the_release_holds_one_before_it_does_not) {
  // The release may take effect before the grant: both overlap at 5..6 ms.
  EXPECT_TRUE(check({lock("acquire", "a", 201, 0, 1), lock("release", "a", 204, 5, 8), lock("acquire", "b", 201, 2, 6)})
                  .holds());
  // The grant was answered before the release was sent.
  EXPECT_FALSE(check({lock("acquire", "a", 201, 0, 1), lock("release", "a", 204, 5, 8), lock("acquire", "b", 201, 2, 4)})
                   .holds());
}

TEST(history, a_patch_accepted_after_its_lock_was_released_is_a_violation) {
  EXPECT_FALSE(check({lock("acquire", "a", 201, 0, 1), lock("release", "a", 204, 2, 3), lock("patch", "a", 200, 4, 5)})
                   .holds());
  EXPECT_FALSE(check({lock("acquire", "a", 201, 0, 1), lock("acquire", "b", 409, 2, 3), lock("patch", "b", 200, 4, 5)})
                   .holds());
  // Overlapping the release, the PATCH may have committed first.
  EXPECT_TRUE(check({lock("acquire", "a", 201, 0, 1), lock("release", "a", 204, 2, 5), lock("patch", "a", 200, 4, 6)})
                  .holds());
  // Refused while the holder had it: a fence that says no to the holder.
  EXPECT_FALSE(check({lock("acquire", "a", 201, 0, 1), lock("patch", "a", 409, 2, 3)}).holds());
}

TEST(history, an_answer_lost_may_have_taken_effect_or_not) {
  // b is refused with nobody holding: only a's lost acquire explains it.
  EXPECT_EQ(check({lock("acquire", "b", 409, 2, 3)}).inexact_refusals.size(), 1U);
  const auto explained = check({lock("acquire", "a", 503, 0, 1), lock("acquire", "b", 409, 2, 3)});
  EXPECT_TRUE(explained.holds() && explained.inexact_refusals.empty()) << explained.describe();
  EXPECT_TRUE(check({lock("acquire", "a", 0, 0, 1), lock("acquire", "b", 201, 2, 3)}).holds());
  // At any time after it was sent, even after its client gave up on it.
  EXPECT_TRUE(check({lock("acquire", "b", 201, 0, 1), lock("release", "a", 502, 2, 3), lock("acquire", "a", 409, 3, 4),
                     lock("release", "b", 204, 5, 6), lock("acquire", "a", 201, 7, 8)})
                  .holds());
  // Not before it was sent.
  EXPECT_EQ(check({lock("acquire", "b", 409, 0, 1), lock("acquire", "a", 503, 2, 3)}).inexact_refusals.size(), 1U);
  // A lost release cannot free a lock someone else holds.
  EXPECT_FALSE(check({lock("acquire", "a", 201, 0, 1), lock("release", "b", 0, 2, 3), lock("acquire", "b", 201, 4, 5)})
                   .holds());
}

TEST(history, a_lock_request_the_proxy_sent_twice_may_be_answered_as_the_second_try) {
  // The first try granted, the second found the lock the caller's own.
  EXPECT_TRUE(check({lock("acquire", "a", 200, 0, 1), lock("acquire", "b", 409, 2, 3)}).holds());
  // The first try released, the second found nothing to release.
  EXPECT_TRUE(check({lock("acquire", "a", 201, 0, 1), lock("release", "a", 404, 2, 3), lock("acquire", "b", 201, 4, 5)})
                  .holds());
  // Neither hides a second holder.
  EXPECT_FALSE(check({lock("acquire", "b", 201, 0, 1), lock("acquire", "a", 200, 2, 3)}).holds());
  EXPECT_FALSE(check({lock("acquire", "a", 201, 0, 1), lock("release", "b", 404, 2, 3), lock("acquire", "b", 201, 4, 5)})
                   .holds());
}

TEST(history, a_refusal_naming_a_holder_who_let_go_is_reported_apart_from_broken_promises) {
  // A stale Redis entry: b is told a holds it after a's release was answered.
  const auto v = check({lock("acquire", "a", 201, 0, 1), lock("release", "a", 204, 2, 3),
                        lock("acquire", "b", 409, 4, 5, "a"), lock("acquire", "c", 201, 6, 7)});
  EXPECT_TRUE(v.holds()) << v.describe();
  ASSERT_EQ(v.inexact_refusals.size(), 1U) << v.describe();
  EXPECT_NE(v.inexact_refusals[0].find("=> 4.000 .. 5.000 ms  acquire by b -> 409 (holder 'a')"), std::string::npos)
      << v.describe();
  // Naming the holder there is, it is exact; naming another, it is not.
  EXPECT_TRUE(check({lock("acquire", "a", 201, 0, 1), lock("acquire", "b", 409, 2, 3, "a")}).inexact_refusals.empty());
  EXPECT_EQ(check({lock("acquire", "a", 201, 0, 1), lock("acquire", "b", 409, 2, 3, "c")}).inexact_refusals.size(), 1U);
  // Not taking a 409 at its word never excuses a second holder.
  const auto broken = check({lock("acquire", "a", 201, 0, 1), lock("acquire", "b", 409, 2, 3, "z"),
                             lock("acquire", "b", 201, 4, 5)});
  EXPECT_EQ(broken.violations.size(), 1U) << broken.describe();
}

TEST(history, a_revoked_token_accepted_after_its_logout_was_answered_is_a_violation) {
  const auto token = [](std::string action, int status, double from, double to) {
    return op("token:t", std::move(action), "", status, from, to);
  };
  EXPECT_TRUE(check({token("me", 200, 0, 1), token("logout", 204, 2, 3), token("me", 401, 4, 5)}).holds());
  const auto v = check({token("me", 200, 0, 1), token("logout", 204, 2, 3), token("me", 200, 4, 5)});
  ASSERT_EQ(v.violations.size(), 1U);
  EXPECT_NE(v.violations[0].find("=> 4.000 .. 5.000 ms  me -> 200"), std::string::npos) << v.describe();
  // Overlapping the logout, either answer is right; once refused, never accepted again.
  EXPECT_TRUE(check({token("logout", 204, 2, 6), token("me", 200, 3, 5), token("me", 401, 4, 7)}).holds());
  EXPECT_FALSE(check({token("logout", 204, 2, 9), token("me", 401, 3, 4), token("me", 200, 5, 6)}).holds());
  // Refused before anyone logged it out.
  EXPECT_FALSE(check({token("me", 401, 0, 1), token("logout", 204, 2, 3)}).holds());
  // A logout whose answer was lost may have revoked it.
  EXPECT_TRUE(check({token("logout", 0, 0, 1), token("me", 401, 2, 3)}).holds());
}

TEST(history, a_refresh_token_used_twice_or_a_handoff_claimed_twice_is_a_violation) {
  const auto refresh = [](int status, double from, double to) { return op("refresh:r", "refresh", "", status, from, to); };
  EXPECT_TRUE(check({refresh(200, 0, 1), refresh(401, 2, 3)}).holds());
  EXPECT_FALSE(check({refresh(200, 0, 1), refresh(200, 2, 3)}).holds());
  EXPECT_FALSE(check({refresh(200, 0, 5), refresh(200, 1, 6)}).holds()) << "concurrent, still one only";

  const auto handoff = [](std::string action, int status, double from, double to) {
    return op("handoff:h", std::move(action), "", status, from, to);
  };
  EXPECT_TRUE(check({handoff("create", 201, 0, 1), handoff("claim", 401, 2, 4), handoff("claim", 200, 3, 5)}).holds());
  EXPECT_FALSE(check({handoff("create", 201, 0, 1), handoff("claim", 200, 2, 4), handoff("claim", 200, 3, 5)}).holds());
  EXPECT_FALSE(check({handoff("create", 201, 0, 1), handoff("claim", 401, 2, 3)}).holds()) << "refused while open";
  EXPECT_FALSE(check({handoff("claim", 200, 0, 1), handoff("create", 201, 2, 3)}).holds()) << "claimed before made";
}

TEST(history, objects_are_checked_apart_and_nonsense_is_a_violation) {
  // Two orders, each granted once: no conflict between them.
  EXPECT_TRUE(check({op("order:1", "acquire", "a", 201, 0, 1), op("order:2", "acquire", "b", 201, 0, 1)}).holds());
  const auto v = check({op("basket:1", "acquire", "a", 201, 0, 1), op("order:1", "steal", "a", 200, 0, 1),
                        op("order:2", "acquire", "a", 418, 0, 1)});
  EXPECT_EQ(v.violations.size(), 3U) << v.describe();
  EXPECT_NE(v.describe().find("basket:1: no rules for this kind of object"), std::string::npos) << v.describe();
}

// Six clients cycling through acquire, patch and release on four orders,
// each request overlapping others, a few answers lost: a history as large
// as a chaos run's is decided at once, and one double grant in it is found.
std::vector<operation> busy_history(bool with_double_grant) {
  std::vector<operation> ops;
  std::minstd_rand random(7);
  double now = 0;
  for (int round = 0; round < 2000; ++round) {
    const std::string order = "order:" + std::to_string(round % 4);
    const std::string client = "w" + std::to_string(random() % 6);
    const double gap = 0.1 + (random() % 10) / 10.0;
    const int lost = random() % 20 == 0 ? 503 : 0;
    ops.push_back(op(order, "acquire", client, lost != 0 ? lost : 201, now, now + 3));
    ops.push_back(op(order, "acquire", client + "x", 409, now + 1, now + 2.5));
    ops.push_back(op(order, "patch", client, lost != 0 ? 409 : 200, now + 3.5, now + 4));
    if (lost != 0) ops.back().status = 503;
    ops.push_back(op(order, "release", client, lost != 0 ? 404 : 204, now + 4.5, now + 6));
    if (lost != 0) ops.back().status = 0;
    now += 6 + gap;
  }
  if (with_double_grant) ops.push_back(op("order:2", "acquire", "intruder", 201, 1000, 1000.4));
  return ops;
}

TEST(history, a_chaos_sized_history_is_decided_and_one_double_grant_in_it_found) {
  const auto fine = check(busy_history(false));
  EXPECT_TRUE(fine.holds()) << fine.describe();
  EXPECT_EQ(fine.operations, 8000U);
  const auto broken = check(busy_history(true));
  ASSERT_EQ(broken.violations.size(), 1U) << broken.describe();
  EXPECT_NE(broken.violations[0].find("order:2"), std::string::npos);
  EXPECT_NE(broken.violations[0].find("acquire by intruder -> 201"), std::string::npos) << broken.describe();
}

}  // namespace
}  // namespace bakewind::test::history
