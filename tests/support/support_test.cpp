// The test helpers themselves: folders, ports, children, redis-server.

#include "support/child_process.hpp"
#include "support/net.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

namespace bakewind::test {
namespace {

using namespace std::chrono_literals;

TEST(temp_dir, is_removed_with_its_contents) {
  std::filesystem::path kept;
  {
    temp_dir dir("support-test");
    kept = dir.path();
    std::filesystem::create_directories(dir.path() / "a" / "b");
    std::ofstream(dir.path() / "a" / "b" / "f") << "x";
    EXPECT_EQ(std::filesystem::status(dir.path()).permissions(), std::filesystem::perms(0755));
  }
  EXPECT_FALSE(std::filesystem::exists(kept));
}

TEST(free_port, gives_a_port_nobody_listens_on) {
  const std::uint16_t port = free_port();
  EXPECT_GT(port, 0);
  EXPECT_FALSE(port_accepts(port));
}

// Outgoing connections take their source ports from the kernel's ephemeral
// range; a port handed out there can be taken before the server binds it.
TEST(free_port, stays_below_the_range_for_outgoing_connections_and_never_repeats) {
  unsigned first_ephemeral = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> first_ephemeral;
  ASSERT_GT(first_ephemeral, 11000u);
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 500; ++i) {
    const std::uint16_t port = free_port();
    EXPECT_GE(port, 10000);
    EXPECT_LT(port, first_ephemeral);
    EXPECT_TRUE(seen.insert(port).second) << "port " << port << " handed out twice";
  }
}

TEST(child_process, reports_exit_code_output_and_environment) {
  child_process child({.argv = {"sh", "-c", "echo out; echo err >&2; echo $GREETING; exit 3"},
                       .env = {{"GREETING", "hello"}}});
  EXPECT_EQ(child.wait_for_exit(5s), 3);
  EXPECT_EQ(child.output(), "out\nerr\nhello\n");
  EXPECT_FALSE(child.running());
}

TEST(child_process, waits_for_output_that_comes_later_and_gives_up_at_the_timeout) {
  child_process child({.argv = {"sh", "-c", "sleep 0.2; echo later; sleep 30"}});
  EXPECT_EQ(child.output(), "");
  EXPECT_TRUE(child.wait_for_output("later", 5s));
  EXPECT_TRUE(child.wait_for_output([](const std::string& out) { return out == "later\n"; }, 0ms));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(child.wait_for_output("never", 100ms));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms);
}

TEST(child_process, is_signalled_and_reports_128_plus_the_signal) {
  child_process child({.argv = {"sleep", "30"}});
  EXPECT_TRUE(child.running());
  EXPECT_FALSE(child.wait_for_exit(50ms).has_value());
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait_for_exit(5s), 128 + SIGTERM);
}

TEST(child_process, a_missing_program_throws_and_leaves_no_output_file) {
  temp_dir tmp("child-tmp");
  const char* before = std::getenv("TMPDIR");
  const std::optional<std::string> saved = before != nullptr ? std::optional<std::string>(before) : std::nullopt;
  ::setenv("TMPDIR", tmp.path().c_str(), 1);
  EXPECT_THROW(child_process({.argv = {"/nonexistent/program"}}), std::system_error);
  if (saved) {
    ::setenv("TMPDIR", saved->c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
}

TEST(child_process, inherits_none_of_our_descriptors) {
  const int opened = ::open("/dev/null", O_RDONLY);
  const int leaky = ::dup2(opened, 50);  // dup2 clears O_CLOEXEC: only the child's own cleanup stops it
  child_process child({.argv = {"sh", "-c", "[ -e /proc/self/fd/50 ] && echo leaked || echo clean"}});
  EXPECT_EQ(child.wait_for_exit(5s), 0);
  ::close(leaky);
  ::close(opened);
  EXPECT_EQ(child.output(), "clean\n");
}

TEST(child_process, runs_in_its_own_process_group_and_dies_with_its_destructor) {
  pid_t pid = 0;
  {
    child_process child({.argv = {"sleep", "30"}});
    pid = child.pid();
    EXPECT_EQ(::getpgid(pid), pid);
  }
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(redis_server, answers_ping_and_restarts_on_the_same_port) {
  redis_server redis;
  EXPECT_TRUE(redis_ping(redis.port()));
  EXPECT_EQ(redis.url(), "redis://127.0.0.1:" + std::to_string(redis.port()));
  redis.stop();
  EXPECT_FALSE(redis_ping(redis.port(), 100));
  redis.start();
  EXPECT_TRUE(redis_ping(redis.port()));
}

}  // namespace
}  // namespace bakewind::test
