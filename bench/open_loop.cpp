// An open-loop load for latency at a fixed offered rate (what wrk2 -R does;
// Debian 12 has no wrk2). Request k is due at start + k / RATE on connection
// k % CONNS, whatever happened before it; a request that must wait for its
// connection's previous answer waits, and its latency counts from when it
// was due, not from when it could be sent (no coordinated omission). So a
// stall shows in the figures as it would to users arriving at that rate.
//
//   open_loop PORT CONNS RATE SECONDS WARMUP_SECONDS TOKEN [PATH]
//
// Sends `GET PATH` (default /api/v1/auth/me) with `Authorization: Bearer
// TOKEN` over CONNS keep-alive connections to 127.0.0.1:PORT, one thread,
// epoll. Prints one JSON line: offered and achieved rate, latency
// percentiles (ms) of the requests due after the warm-up, non-2xx replies
// and connection failures.

#include "loopback.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using std::chrono::nanoseconds;

struct connection {
  int fd = -1;
  bool busy = false;                           // a request is out, its answer not complete
  clock_type::time_point due;                  // when the request out was due
  std::deque<clock_type::time_point> waiting;  // due requests not yet sent
  std::string in;                              // bytes of the answer so far
};

struct figures {
  std::vector<std::uint32_t> latency_us;  // of requests due after the warm-up
  std::vector<std::uint32_t> due_us;      // when each of them was due, after the warm-up (OPEN_LOOP_SERIES only)
  std::uint64_t non_2xx = 0;
  std::uint64_t failures = 0;
};

// A connection that sends each small request at once (no Nagle delay).
int connect_to(std::uint16_t port) {
  const int fd = bakewind::bench::connect_loopback(port);
  const int one = 1;
  if (fd >= 0) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// The length of a complete answer at the start of `in` (status line,
// headers, Content-Length body), or 0 while incomplete. `status` gets the code.
std::size_t complete_answer(const std::string& in, int& status) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  status = in.size() > 12 ? std::atoi(in.c_str() + 9) : 0;
  std::size_t body = 0;
  for (std::size_t at = in.find("\r\n"); at != std::string::npos && at < end; at = in.find("\r\n", at + 2)) {
    constexpr std::string_view name = "content-length:";
    if (at + 2 + name.size() > in.size()) break;
    bool match = true;
    for (std::size_t i = 0; i < name.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(in[at + 2 + i])) == name[i];
    }
    if (match) body = std::strtoull(in.c_str() + at + 2 + name.size(), nullptr, 10);
  }
  const std::size_t total = end + 4 + body;
  return in.size() >= total ? total : 0;
}

double percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[i] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: open_loop PORT CONNS RATE SECONDS WARMUP_SECONDS TOKEN [PATH]\n");
    return 2;
  }
  const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  const int conns = std::max(1, std::atoi(argv[2]));
  const double rate = std::max(1.0, std::atof(argv[3]));
  const double seconds = std::atof(argv[4]);
  const double warmup = std::atof(argv[5]);
  const std::string path = argc > 7 ? argv[7] : "/api/v1/auth/me";
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + argv[6] + "\r\n\r\n";

  bakewind::bench::raise_descriptor_limit();
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<connection> all(static_cast<std::size_t>(conns));
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i].fd = connect_to(port);
    if (all[i].fd < 0) {
      std::fprintf(stderr, "open_loop: cannot connect to 127.0.0.1:%u\n", port);
      return 1;
    }
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, all[i].fd, &e);
  }

  figures out;
  // A file for each measured request's due time and latency (µs), one pair a
  // line: where the tail comes from (a stall, or spread over the run).
  const char* series = std::getenv("OPEN_LOOP_SERIES");
  const auto start = clock_type::now();
  const auto measured_from = start + std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(warmup));
  const auto stop = measured_from + std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(seconds));
  const auto interval = std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(1.0 / rate));
  std::int64_t next = 0;      // the next request to fall due
  std::uint64_t pending = 0;  // due and not yet answered (or given up)
  auto give_up = [&](connection& c) {
    // Its request out and those waiting for it will never be answered.
    const std::uint64_t lost = (c.busy ? 1 : 0) + c.waiting.size();
    out.failures += lost;
    pending -= lost;
    c.waiting.clear();
    c.busy = false;
    ::close(c.fd);
    c.fd = -1;
  };
  auto send_next = [&](connection& c) {
    if (c.busy || c.waiting.empty() || c.fd < 0) return;
    c.due = c.waiting.front();
    c.waiting.pop_front();
    c.busy = true;
    // A short send of a small request on loopback: the connection is gone.
    if (::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) give_up(c);
  };

  std::vector<epoll_event> events(256);
  char buffer[16384];
  while (true) {
    const auto now = clock_type::now();
    // Everything due by now goes to its connection, sent at once if it is free.
    while (start + interval * next <= now && start + interval * next < stop) {
      auto& c = all[static_cast<std::size_t>(next) % all.size()];
      ++next;
      if (c.fd < 0) {
        ++out.failures;
        continue;
      }
      c.waiting.push_back(start + interval * (next - 1));
      ++pending;
      send_next(c);
    }
    const bool scheduling = start + interval * next < stop;
    if (!scheduling && (pending == 0 || now > stop + std::chrono::seconds(10))) break;
    // Sleep until the next request is due or an answer arrives.
    const auto wake = scheduling ? start + interval * next : now + std::chrono::milliseconds(100);
    const auto wait_ns = std::max<long long>(0, std::chrono::duration_cast<nanoseconds>(wake - now).count());
    timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
    const int n = ::epoll_pwait2(ep, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
    if (n < 0 && errno != EINTR) break;
    for (int k = 0; k < n; ++k) {
      auto& c = all[events[static_cast<std::size_t>(k)].data.u64];
      if (c.fd < 0) continue;
      const auto got = ::recv(c.fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (got <= 0) {
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        give_up(c);
        continue;
      }
      c.in.append(buffer, static_cast<std::size_t>(got));
      int status = 0;
      while (c.fd >= 0) {
        const std::size_t length = complete_answer(c.in, status);
        if (length == 0) break;
        const auto done = clock_type::now();
        c.in.erase(0, length);
        c.busy = false;
        --pending;
        if (status < 200 || status > 299) ++out.non_2xx;
        if (c.due >= measured_from) {
          if (series != nullptr) {
            out.due_us.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(c.due - measured_from).count()));
          }
          out.latency_us.push_back(
              static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(done - c.due).count()));
        }
        send_next(c);
      }
    }
  }

  if (series != nullptr) {
    if (std::FILE* f = std::fopen(series, "w")) {
      for (std::size_t i = 0; i < out.due_us.size(); ++i) std::fprintf(f, "%u %u\n", out.due_us[i], out.latency_us[i]);
      std::fclose(f);
    }
  }
  std::sort(out.latency_us.begin(), out.latency_us.end());
  const double achieved = static_cast<double>(out.latency_us.size()) / seconds;
  std::printf(
      "{\"conns\": %d, \"offered\": %.0f, \"achieved\": %.0f, \"p50_ms\": %.2f, \"p90_ms\": %.2f, \"p99_ms\": %.2f, "
      "\"p999_ms\": %.2f, \"max_ms\": %.2f, \"non_2xx\": %llu, \"failures\": %llu}\n",
      conns, rate, achieved, percentile(out.latency_us, 0.50), percentile(out.latency_us, 0.90),
      percentile(out.latency_us, 0.99), percentile(out.latency_us, 0.999),
      out.latency_us.empty() ? 0.0 : out.latency_us.back() / 1000.0, static_cast<unsigned long long>(out.non_2xx),
      static_cast<unsigned long long>(out.failures));
  return out.failures == 0 && out.non_2xx == 0 ? 0 : 1;
}
