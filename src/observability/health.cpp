#include "observability/health.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cmath>
#include <exception>
#include <memory>

namespace bakewind::observability {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

struct outcome {
  bool ended = false;
  std::string error;  ///< empty: up
  double ms = 0;
};

// One report's probes. Shared with the probes, which may end after the
// report was sent (a probe past the limit goes on until its own deadline).
struct round {
  round(const asio::any_io_executor& ex, std::size_t n) : all_ended(ex), outcomes(n), running(n) {}
  asio::steady_timer all_ended;  ///< cancelled when the last probe ends
  std::vector<outcome> outcomes;
  std::size_t running;
};

double milliseconds_since(clock::time_point started) {
  const double ms = std::chrono::duration<double, std::milli>(clock::now() - started).count();
  return std::round(ms * 1000) / 1000;
}

}  // namespace

void readiness::add(std::string name, probe p) {
  probes_.emplace_back(std::move(name), std::move(p));
}

asio::awaitable<readiness_report> readiness::run() const {
  const auto ex = co_await asio::this_coro::executor;
  auto r = std::make_shared<round>(ex, probes_.size());
  r->all_ended.expires_after(limit_);
  const auto started = clock::now();
  for (std::size_t i = 0; i < probes_.size(); ++i) {
    asio::co_spawn(
        ex,
        [r, i, check = probes_[i].second, started]() -> asio::awaitable<void> {
          auto& out = r->outcomes[i];
          try {
            co_await check();
          } catch (const std::exception& e) {
            out.error = e.what();
            if (out.error.empty()) out.error = "check failed";
          }
          out.ms = milliseconds_since(started);
          out.ended = true;
          if (--r->running == 0) r->all_ended.cancel();
        },
        asio::detached);
  }
  // A probe that failed at once may have ended them all already (one thread:
  // nothing runs between this test and the wait).
  if (r->running > 0) {
    boost::system::error_code ignored;
    co_await r->all_ended.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  readiness_report report;
  boost::json::object checks;
  for (std::size_t i = 0; i < probes_.size(); ++i) {
    const auto& out = r->outcomes[i];
    boost::json::object entry;
    const std::string error =
        out.ended ? out.error : "no answer within " + std::to_string(limit_.count()) + " ms";
    entry["status"] = error.empty() ? "up" : "down";
    entry["latencyMs"] = out.ended ? out.ms : milliseconds_since(started);
    if (!error.empty()) {
      entry["error"] = error;
      report.ok = false;
    }
    checks[probes_[i].first] = std::move(entry);
  }
  report.body["status"] = report.ok ? "ok" : "error";
  report.body["checks"] = std::move(checks);
  co_return report;
}

}  // namespace bakewind::observability
