#include "observability/process_metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

namespace bakewind::observability {

namespace {

double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long long size = 0;
  long long resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  long n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return static_cast<double>(n - 1);  // not the descriptor opendir itself holds
}

double cpu_seconds() {
  // /proc/self/stat: "pid (comm) state ..." with utime and stime the 14th
  // and 15th fields; comm may hold spaces, so count from its closing paren.
  std::ifstream stat("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

void register_process_metrics(registry& to) {
  const double started =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  to.add_gauge("process_resident_memory_bytes", "Resident memory size in bytes", resident_bytes);
  to.add_gauge("process_open_fds", "Number of open file descriptors", open_fds);
  to.add("process_cpu_seconds_total", metric_type::counter, "Total user and system CPU time spent in seconds",
         [](family_writer& w) { w.sample({}, cpu_seconds()); });
  to.add_gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds",
               [started] { return started; });
}

}  // namespace bakewind::observability
