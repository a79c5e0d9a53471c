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

namespace detail {

/// A runtime_error that also names what it is about (a dependency, a
/// variable), for callers that tell failures apart by it.
class error_about : public std::runtime_error {
 protected:
  error_about(std::string subject, const std::string& message)
      : std::runtime_error(message), subject_(std::move(subject)) {}

  const std::string& subject() const noexcept { return subject_; }

 private:
  std::string subject_;
};

}  // namespace detail

/// A dependency (PostgreSQL, Redis) could not serve the request in time.
/// `what()` is for logs only: it may hold server text, never send it to a client.
class unavailable_error : public detail::error_about {
 public:
  /// `dependency` names the failing component ("postgres", "redis").
  unavailable_error(std::string dependency, const std::string& detail)
      : error_about(dependency, dependency + ": " + detail) {}

  /// Which component failed, for logs and metrics.
  const std::string& dependency() const noexcept { return subject(); }
};

/// A bad configuration value: names the variable and what it expects.
class config_error : public detail::error_about {
 public:
  config_error(std::string variable, const std::string& expected) : error_about(variable, variable + " " + expected) {}

  /// The environment variable at fault.
  const std::string& variable() const noexcept { return subject(); }
};

}  // namespace bakewind::core
