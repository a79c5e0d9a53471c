#pragma once
// The one error of this layer that is not core::unavailable_error.
//
// Contract of every call in pg/: a statement the server rejects (syntax, a
// constraint, a serialization failure) throws `query_error` and leaves the
// connection usable; a connection that cannot be opened, times out, or drops
// throws core::unavailable_error("postgres", ...) and the connection is broken.

#include <stdexcept>
#include <string>
#include <utility>

namespace bakewind::pg {

/// The server rejected a statement. Depends on the input: the caller decides
/// what it means (e.g. 23505 on an email index is "already registered").
/// `what()` holds the server's message, which may quote user data: log it,
/// never send it to a client.
class query_error : public std::runtime_error {
 public:
  /// `sqlstate` is the five-character SQLSTATE code; `constraint` is the
  /// violated constraint's name, empty when the error names none.
  query_error(std::string sqlstate, std::string constraint, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)), constraint_(std::move(constraint)) {}

  /// The SQLSTATE code, e.g. "23505" (unique_violation), "23503" (foreign_key_violation).
  const std::string& sqlstate() const noexcept { return sqlstate_; }

  /// The violated constraint or index name, e.g. "users_email_lower_uq"; may be empty.
  const std::string& constraint() const noexcept { return constraint_; }

 private:
  std::string sqlstate_;
  std::string constraint_;
};

/// SQLSTATE codes callers commonly test for.
namespace sqlstate {
inline constexpr const char* unique_violation = "23505";
inline constexpr const char* foreign_key_violation = "23503";
inline constexpr const char* check_violation = "23514";
inline constexpr const char* not_null_violation = "23502";
inline constexpr const char* serialization_failure = "40001";
inline constexpr const char* invalid_text_representation = "22P02";
}  // namespace sqlstate

}  // namespace bakewind::pg
