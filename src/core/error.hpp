#pragma once
// The two kinds of failure that cross layers (STYLE.md "Errors").
//
// A client's mistake is a value or an http-layer error and never reaches here.
// A system failure (a dependency down, slow or broken) is thrown as
// `unavailable_error`: caught once at dispatch, logged with its detail,
// answered 503 with a text that leaks nothing.

#include <stdexcept>
#include <string>

namespace bakewind::core {

/// A dependency (PostgreSQL, Redis) could not serve the request in time.
/// `what()` is for logs only: it may hold server text, never send it to a client.
class unavailable_error : public std::runtime_error {
 public:
  /// `dependency` names the failing component ("postgres", "redis").
  unavailable_error(std::string dependency, const std::string& detail)
      : std::runtime_error(dependency + ": " + detail), dependency_(std::move(dependency)) {}

  /// Which component failed, for logs and metrics.
  const std::string& dependency() const noexcept { return dependency_; }

 private:
  std::string dependency_;
};

/// A bad configuration value: names the variable and what it expects.
class config_error : public std::runtime_error {
 public:
  config_error(std::string variable, const std::string& expected)
      : std::runtime_error(variable + " " + expected), variable_(std::move(variable)) {}

  /// The environment variable at fault.
  const std::string& variable() const noexcept { return variable_; }

 private:
  std::string variable_;
};

}  // namespace bakewind::core
