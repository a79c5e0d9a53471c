#pragma once
// The two browser apps (DESIGN.md "Process model"): the public website
// (WEB_DIR/site on SITE_PORT) and the admin dashboard (WEB_DIR/admin on
// ADMIN_PORT). Static files only, each app on its own HTTP server over the
// API's event loops, plus a generated /config.js that tells the pages where
// the API and the other app are. The apps have no build step, so no file
// name carries a content hash: every answer is revalidated (no-cache + ETag).

#include "core/config.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace bakewind::app {

/// What a page learns from /config.js, filled in once the ports are bound.
struct web_config {
  std::string api_url;    ///< PUBLIC_API_URL, else http://localhost:PORT
  std::string site_url;   ///< PUBLIC_SITE_URL, else http://localhost:<bound site port>
  std::string admin_url;  ///< PUBLIC_ADMIN_URL, else http://localhost:<bound admin port>
  std::string script;     ///< the ES module served as /config.js
  std::string csp;        ///< the Content-Security-Policy of every answer
};

/// Fills script and csp from the three URLs.
void render_web_config(web_config& c);

/// Registers one app on `routes` (one call per event loop: each keeps its
/// own file cache). GET /config.js answers `config->script`. Any other GET
/// or HEAD names a file below `root`: "/" is index.html; a path that names no
/// file and whose last segment has no '.' (an app route such as
/// /auth/callback or /orders/ID) is index.html too, the page routing itself;
/// anything else is 404 in the NestJS shape, as are unsafe paths (.., hidden
/// files), symlinks out of the folder and unknown extensions. `config` is
/// read per request and must be complete before serving starts.
void add_web_app_routes(http::router& routes, std::filesystem::path root, std::shared_ptr<const web_config> config);

/// The website's and the dashboard's servers, over the given loops.
class web_apps {
 public:
  /// `loops` must outlive this; loops[0] runs the acceptors.
  web_apps(const core::config& cfg, const std::vector<boost::asio::io_context*>& loops);
  ~web_apps();
  web_apps(const web_apps&) = delete;
  web_apps& operator=(const web_apps&) = delete;

  /// Binds both ports (0 picks a free one) and completes /config.js with the
  /// bound ports. Throws std::system_error (e.g. address in use).
  void listen();

  /// Starts accepting on both.
  void start();

  std::uint16_t site_port() const;
  std::uint16_t admin_port() const;

  /// What the pages are told (valid after listen).
  const web_config& config() const noexcept { return *config_; }

  /// Graceful stop of both servers, awaited on loops[0].
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

 private:
  const core::config& cfg_;
  std::shared_ptr<web_config> config_;
  std::vector<std::unique_ptr<http::router>> site_routes_;
  std::vector<std::unique_ptr<http::router>> admin_routes_;
  std::unique_ptr<http::server> site_;
  std::unique_ptr<http::server> admin_;
};

}  // namespace bakewind::app
