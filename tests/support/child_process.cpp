#include "support/child_process.hpp"

#include "support/temp_dir.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace bakewind::test {

namespace {

[[noreturn]] void throw_errno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;  // exec fails with ENOENT and reports it
}

std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> result;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [key, value] : extra) replaced = replaced || key == name;
    if (!replaced) result.push_back(entry);
  }
  for (const auto& [key, value] : extra) result.push_back(key + "=" + value);
  return result;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (std::string& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

int open_output(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open " + path.string());
  return fd;
}

// Between fork and exec only async-signal-safe calls: no allocation, no locks.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int out, int err, int error_pipe,
                             const passwd* user, const char* dir, pid_t parent) {
  ::setpgid(0, 0);
  const int null_in = ::open("/dev/null", O_RDONLY);
  if (null_in >= 0) ::dup2(null_in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  if (user != nullptr) {
    const gid_t gid = user->pw_gid;
    if (::setgroups(1, &gid) != 0 || ::setgid(user->pw_gid) != 0 || ::setuid(user->pw_uid) != 0) {
      const int e = errno;
      (void)!::write(error_pipe, &e, sizeof e);
      ::_exit(127);
    }
  }
  // After setuid: changing credentials clears the parent-death signal.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  if (dir != nullptr && ::chdir(dir) != 0) {
    const int e = errno;
    (void)!::write(error_pipe, &e, sizeof e);
    ::_exit(127);
  }
  // Whatever descriptors the test process holds (sockets, epoll) stay out of the child.
  if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0) {
    for (int fd = 3; fd < 4096; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  ::execve(argv[0], argv, envp);
  const int e = errno;
  (void)!::write(error_pipe, &e, sizeof e);
  ::_exit(127);
}

}  // namespace

child_process::child_process(child_options options) {
  if (options.argv.empty()) throw std::invalid_argument("child_process: empty argv");
  std::vector<std::string> argv = options.argv;
  argv[0] = find_program(argv[0]);
  std::vector<std::string> env = environment_with(options.env);
  std::vector<char*> argv_ptrs = pointers(argv);
  std::vector<char*> env_ptrs = pointers(env);

  const passwd* user = nullptr;
  if (options.run_as && ::geteuid() == 0) {
    user = ::getpwnam(options.run_as->c_str());
    if (user == nullptr) throw std::runtime_error("no such user: " + *options.run_as);
  }

  if (options.stdout_path.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "bakewind-child-XXXXXX").string();
    const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) throw_errno("mkostemp");
    ::close(fd);
    options.stdout_path = pattern;
    owns_output_file_ = true;
  }
  stdout_path_ = options.stdout_path;
  // A constructor that throws runs no destructor: the file we made goes here.
  try {
    start(options, argv, argv_ptrs, env_ptrs, user);
  } catch (...) {
    std::error_code ignored;
    if (owns_output_file_) std::filesystem::remove(stdout_path_, ignored);
    throw;
  }
}

void child_process::start(const child_options& options, const std::vector<std::string>& argv,
                          std::vector<char*>& argv_ptrs, std::vector<char*>& env_ptrs, const passwd* user) {
  const int out = open_output(options.stdout_path);
  const int err = options.stderr_path.empty()
                      ? ::fcntl(out, F_DUPFD_CLOEXEC, 0)
                      : ::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int error_pipe[2];
  if (err < 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(out);
    if (err >= 0) ::close(err);
    throw std::system_error(e, std::generic_category(), err < 0 ? "open " + options.stderr_path.string() : "pipe2");
  }
  const std::string dir = options.working_dir.string();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    exec_child(argv_ptrs.data(), env_ptrs.data(), out, err, error_pipe[1], user, dir.empty() ? nullptr : dir.c_str(),
               parent);
  }
  const int fork_errno = errno;
  ::close(out);
  ::close(err);
  ::close(error_pipe[1]);
  if (pid_ < 0) {
    ::close(error_pipe[0]);
    throw std::system_error(fork_errno, std::generic_category(), "fork");
  }
  ::setpgid(pid_, pid_);  // also here: whichever of parent and child runs first
  int exec_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(error_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (n == sizeof exec_errno) {
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw std::system_error(exec_errno, std::generic_category(), "exec " + argv[0]);
  }
}

child_process::child_process(child_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      exit_code_(other.exit_code_),
      stdout_path_(std::move(other.stdout_path_)),
      owns_output_file_(std::exchange(other.owns_output_file_, false)) {}

child_process::~child_process() {
  if (pid_ > 0 && !exit_code_) kill();
  if (owns_output_file_) {
    std::error_code ignored;
    std::filesystem::remove(stdout_path_, ignored);
  }
}

void child_process::signal(int signo) const noexcept {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signo);
}

std::optional<int> child_process::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!running()) return exit_code_;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool child_process::running() {
  if (pid_ <= 0 || exit_code_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r < 0) {
    exit_code_ = -1;  // not our child any more (reaped elsewhere)
    return false;
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int child_process::kill() {
  if (pid_ <= 0) return -1;
  if (!exit_code_) {
    ::kill(-pid_, SIGKILL);  // the group: a server's own children go too
    ::kill(pid_, SIGKILL);
    int status = 0;
    pid_t r = 0;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    exit_code_ = r == pid_ ? (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) : -1;
  }
  return *exit_code_;
}

std::string child_process::output() const { return read_file(stdout_path_); }

bool child_process::wait_for_output(const std::function<bool(const std::string&)>& seen,
                                    std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (seen(output())) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool child_process::wait_for_output(std::string_view text, std::chrono::milliseconds timeout) const {
  return wait_for_output([text](const std::string& out) { return out.find(text) != std::string::npos; }, timeout);
}

}  // namespace bakewind::test
