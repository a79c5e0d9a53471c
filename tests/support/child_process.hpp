#pragma once
// Child processes for tests: servers and the service binary itself.

#include <sys/types.h>

struct passwd;

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakewind::test {

/// How to start a child.
struct child_options {
  /// Program and arguments; argv[0] without a '/' is looked up in PATH.
  std::vector<std::string> argv;
  /// Variables added to (or replacing in) this process's environment.
  std::vector<std::pair<std::string, std::string>> env;
  /// Run as this user (setgid + setuid after fork); honoured only when this process is root.
  std::optional<std::string> run_as;
  /// Working directory; empty keeps ours.
  std::filesystem::path working_dir;
  /// Where stdout goes (appended); empty: a temporary file in TMPDIR (or /tmp),
  /// read with output() and removed with the child_process.
  std::filesystem::path stdout_path;
  /// Where stderr goes (appended); empty: wherever stdout goes.
  std::filesystem::path stderr_path;
};

/// A running child in its own process group, with stdin from /dev/null and
/// none of our descriptors. The destructor SIGKILLs its whole group and reaps
/// it if it still runs; the child also dies if the test process dies
/// (PR_SET_PDEATHSIG). Move-only; not thread-safe.
class child_process {
 public:
  /// Starts it; throws std::system_error when fork or exec fails.
  explicit child_process(child_options options);
  ~child_process();
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&&) = delete;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The child's pid (also its process group id).
  pid_t pid() const noexcept { return pid_; }
  /// Sends `signo` to the child (not its group); no-op once it exited.
  void signal(int signo) const noexcept;
  /// Waits up to `timeout` for it to exit: its exit code (128 + signal when
  /// killed by one), or nullopt while it still runs.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  /// True until it has exited (reaps it when it has).
  bool running();
  /// SIGKILLs the whole group and reaps; returns the exit code.
  int kill();
  /// What it wrote to its stdout file so far (also stderr unless redirected apart).
  std::string output() const;
  /// Reads output() until `seen` holds for it or `timeout` passes: true when
  /// it held. For log lines, which BakeWind writes in batches (within 100 ms
  /// of the event), so that a line is not there at once.
  bool wait_for_output(const std::function<bool(const std::string&)>& seen,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  /// Until `text` appears in output().
  bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  /// The file holding its stdout.
  const std::filesystem::path& output_path() const noexcept { return stdout_path_; }

 private:
  // Opens the output files, forks and execs; throws when any of that fails.
  void start(const child_options& options, const std::vector<std::string>& argv, std::vector<char*>& argv_ptrs,
             std::vector<char*>& env_ptrs, const passwd* user);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path stdout_path_;
  bool owns_output_file_ = false;
};

}  // namespace bakewind::test
