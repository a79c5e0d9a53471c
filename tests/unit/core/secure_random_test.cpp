#include "core/secure_random.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bakewind::core {
namespace {

std::string draw(std::size_t n) {
  std::string out(n, '\0');
  secure_random(out.data(), out.size());
  return out;
}

TEST(secure_random, draws_do_not_repeat_across_many_refills) {
  // 16-byte draws from 480-byte blocks: every draw boundary and refill.
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(seen.insert(draw(16)).second) << "draw " << i;
}

TEST(secure_random, a_draw_longer_than_a_block_is_filled_everywhere) {
  // 4,000 bytes span several blocks; a gap left unfilled would stay zero.
  const std::string big = draw(4000);
  for (std::size_t at = 0; at + 64 <= big.size(); at += 64) {
    EXPECT_NE(big.substr(at, 64), std::string(64, '\0')) << "bytes " << at << "..";
  }
  // Each byte value turns up: 4,000 uniform bytes miss a given one with p ~ 1.6e-7.
  std::array<int, 256> counts{};
  for (const unsigned char c : big) ++counts[c];
  EXPECT_EQ(std::count(counts.begin(), counts.end(), 0), 0);
}

TEST(secure_random, threads_draw_from_streams_of_their_own) {
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) threads.emplace_back([&g] { g = draw(32); });
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), got.size());
}

TEST(secure_random, a_forked_child_does_not_repeat_its_parents_bytes) {
  draw(8);  // this thread's stream is keyed before the fork
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string mine = draw(32);
    const auto written = ::write(pipe_fds[1], mine.data(), mine.size());
    ::_exit(written == 32 ? 0 : 1);
  }
  const std::string parent = draw(32);
  std::array<char, 32> from_child{};
  ASSERT_EQ(::read(pipe_fds[0], from_child.data(), from_child.size()), 32);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  EXPECT_NE(parent, std::string(from_child.data(), from_child.size())) << "the child repeated the parent's stream";
}

}  // namespace
}  // namespace bakewind::core
