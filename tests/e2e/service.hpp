#pragma once
// The built `bakewind` binary as a black box: started on a free port with the
// given environment, stopped (SIGKILL) by the destructor if still running.

#include "support/child_process.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bakewind::test {

/// Path of the binary under test (set by CMake).
std::string bakewind_binary();

/// This checkout's root (set by CMake), where docs/, deploy/ and web/ are.
std::string source_dir();

/// Runs `bakewind args...` to completion (at most 60 s) with `env`; returns
/// its exit code and everything it printed.
std::pair<int, std::string> run_bakewind(std::vector<std::string> args,
                                         std::vector<std::pair<std::string, std::string>> env);

/// A new database on the shared PostgreSQL, migrated by `bakewind migrate`;
/// its URL. Throws std::runtime_error with the output when migrate fails.
std::string migrated_database(const std::string& prefix);

class service {
 public:
  /// Starts `bakewind serve` on a free port with `env` (PORT, HOST and
  /// LOG_FORMAT=json are set unless given) and waits until /health/live
  /// answers. Throws std::runtime_error with the output when it does not.
  explicit service(std::vector<std::pair<std::string, std::string>> env);

  std::uint16_t port() const noexcept { return port_; }
  child_process& process() noexcept { return process_; }

 private:
  static child_process start(std::uint16_t port, std::vector<std::pair<std::string, std::string>> env);

  std::uint16_t port_;
  child_process process_;
};

}  // namespace bakewind::test
