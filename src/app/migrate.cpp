#include "app/app.hpp"

#include "core/log.hpp"
#include "pg/migrate.hpp"
#include "pg/pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

namespace bakewind::app {

namespace asio = boost::asio;

int migrate(const core::config& cfg) {
  asio::io_context io(1);
  // Migrations may wait for another instance's advisory lock: allow a minute.
  pg::pool pool(io.get_executor(), cfg.database_url, 1, std::chrono::seconds(60));
  auto done = asio::co_spawn(io, pg::migrate(pool), asio::use_future);
  io.run();
  try {
    const std::size_t applied = done.get();
    core::log_info("migrations up to date", {{"applied", applied}});
    return 0;
  } catch (const std::exception& e) {
    core::log_error("migration failed", {{"detail", e.what()}});
    return 1;
  }
}

}  // namespace bakewind::app
