#pragma once
// Accounts in PostgreSQL: bakeries, their owners, admins and staff. All SQL
// about accounts lives here (their logout-all cutoff belongs to the
// revocation record: revocation_store). Infrastructure failures throw
// (unavailable_error); outcomes that depend on input come back as values.

#include "pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace bakewind::auth {

/// API.md's `user`, never with its password hash.
struct user {
  std::string id;
  std::string email;
  std::string name;
  std::string role;
  std::string bakery_id;
  std::string created_at;  ///< ISO-8601 UTC with milliseconds
};

/// A user with what login needs.
struct credentials {
  auth::user user;
  std::string password_hash;
};

class users_repository {
 public:
  /// `pool` must outlive the repository.
  explicit users_repository(pg::pool& pool) : pool_(pool) {}

  /// Creates a bakery and its owner in one transaction; nullopt when the
  /// email is taken (in any letter case).
  boost::asio::awaitable<std::optional<user>> create_owner(std::string email, std::string password_hash,
                                                           std::string name, std::string bakery_name);

  /// Adds an admin or staff member to a bakery; nullopt when the email is taken.
  boost::asio::awaitable<std::optional<user>> create_member(std::string bakery_id, std::string email,
                                                            std::string password_hash, std::string name,
                                                            std::string role);

  /// Looks an account up by email, ignoring case.
  boost::asio::awaitable<std::optional<credentials>> find_by_email(std::string email);

  /// Looks an account up by id.
  boost::asio::awaitable<std::optional<user>> find_by_id(std::string id);

  /// Every user of a bakery, oldest first.
  boost::asio::awaitable<std::vector<user>> list_bakery(std::string bakery_id);

 private:
  pg::pool& pool_;
};

}  // namespace bakewind::auth
