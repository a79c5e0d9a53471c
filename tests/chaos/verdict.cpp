#include "verdict.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace bakewind::test::chaos {

using namespace std::chrono_literals;

void report(const char* fault, const traffic& t, const deployment& d) {
  std::printf("[  chaos   ] %s: %s\n", fault, t.summary().c_str());
  if (t.counts().slow > 0 || t.counts().no_answer > 0) {
    // haproxy logs only what is unusual: errors, aborts, slow answers.
    std::istringstream lines(d.proxy_log());
    std::string line;
    while (std::getline(lines, line)) {
      const bool plain_503 = line.find(" 503 ") != std::string::npos && line.find(" ---- ") != std::string::npos;
      if (!plain_503 && line.find("Server ") == std::string::npos) {
        std::printf("    haproxy: %s\n", line.c_str());
      }
    }
    // And what the instances say of the requests they took long to answer.
    for (std::size_t i = 0; i < d.instances(); ++i) {
      std::istringstream log(d.instance_log(i));
      while (std::getline(log, line)) {
        const auto at = line.find("\"durationMs\":");
        if (at != std::string::npos && std::atof(line.c_str() + at + 13) >= 1000) {
          std::printf("    instance %zu: %s\n", i + 1, line.c_str());
        }
      }
    }
  }
  std::fflush(stdout);
}

bool grants_resume(const traffic& t, long from, long n, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (t.counts().grants.load() >= from + n) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void expect_promises_kept(const traffic& t) {
  EXPECT_EQ(t.counts().revoked_accepted, 0);
  EXPECT_EQ(t.counts().double_grants, 0);
  EXPECT_EQ(t.counts().double_claims, 0);
  EXPECT_EQ(t.counts().server_errors, 0);
  EXPECT_EQ(t.counts().slow, 0);
  EXPECT_EQ(t.counts().unnamed_503, 0) << "every 503 names what is unavailable and carries Retry-After";
  expect_history_holds(t);
}

void expect_history_holds(const traffic& t) {
  const auto started = std::chrono::steady_clock::now();
  const auto v = history::check(t.history().operations());
  const auto took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  std::printf("[  chaos   ] %s (checked in %.0f ms)\n", v.describe().c_str(), took);
  std::fflush(stdout);
  EXPECT_TRUE(v.holds()) << v.describe();
  EXPECT_GT(v.operations, 0U) << "the traffic recorded nothing";
  if (!v.holds()) {
    // The whole history, for a reader to follow what led there.
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string path = std::string("history-") + (test != nullptr ? test->name() : "chaos") + ".txt";
    if (history::write(t.history().operations(), path)) std::printf("[  chaos   ] the history is in %s\n", path.c_str());
  }
}

}  // namespace bakewind::test::chaos
