#pragma once
// The composition root (DESIGN.md "Process model"): builds one event loop per
// thread, each with its own PostgreSQL pool and routing table, the HTTP
// server over them, and shuts it all down in order on SIGTERM/SIGINT.

#include "core/config.hpp"

#include <memory>

namespace bakewind::app {

class application {
 public:
  explicit application(core::config cfg);
  ~application();
  application(const application&) = delete;
  application& operator=(const application&) = delete;

  /// Binds, serves until SIGINT/SIGTERM, drains, returns the exit code.
  /// Throws std::system_error when the port cannot be bound.
  int serve();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Applies the bundled migrations to DATABASE_URL; returns the exit code.
int migrate(const core::config& cfg);

/// Loads the demo bakery once and prints its logins; returns the exit code.
int load_demo(const core::config& cfg);

}  // namespace bakewind::app
