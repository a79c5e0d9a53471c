// Black-box tests of issue 4, part 4: the staff of a bakery (API.md "Users").

#include "auth_helpers.hpp"

#include <gtest/gtest.h>

#include <set>

namespace bakewind::test::auth_e2e {
namespace {

std::string user_body(const std::string& email, const std::string& password, const std::string& name,
                      const boost::json::value& role) {
  return core::to_json(boost::json::object{{"email", email}, {"password", password}, {"name", name}, {"role", role}});
}

http_reply create_user(std::uint16_t port, const std::string& access, const std::string& body) {
  return authed(port, "POST", "/api/v1/users", access, body);
}

/// Creates a user as `caller`; throws unless 201.
account add_user(std::uint16_t port, const account& caller, const std::string& role, const std::string& tag) {
  const auto email = unique_email(tag);
  const std::string password = "pass-of-" + tag;
  const auto r = create_user(port, caller.access, user_body(email, password, "User " + tag, boost::json::string(role)));
  if (r.status != 201) throw std::runtime_error("create user: " + std::to_string(r.status) + " " + r.body);
  return login(port, email, password);
}

std::set<std::string> ids_of(const http_reply& r) {
  std::set<std::string> ids;
  const auto body = json_of(r);
  for (const auto& u : body.at("items").as_array()) ids.insert(std::string(u.at("id").as_string()));
  return ids;
}

TEST(users, owner_creates_admin_and_staff_in_its_own_bakery) {
  instance s("users_create");
  const auto owner = register_owner(s.port(), "uowner");
  for (const char* role : {"admin", "staff"}) {
    const auto email = unique_email(role);
    const std::string password = std::string("password-for-") + role;
    const auto r = create_user(s.port(), owner.access, user_body(email, password, std::string("Name ") + role, role));
    ASSERT_EQ(r.status, 201) << role << ": " << r.body;
    const auto u = json_of(r);
    EXPECT_TRUE(is_user(u)) << r.body;
    EXPECT_EQ(u.at("email").as_string(), email);
    EXPECT_EQ(u.at("name").as_string(), std::string("Name ") + role);
    EXPECT_EQ(u.at("role").as_string(), role);
    EXPECT_EQ(u.at("bakeryId").as_string(), owner.bakery_id);
    EXPECT_NE(u.at("id").as_string(), owner.id);
    EXPECT_TRUE(free_of(r.body, {password}));
    // The new user can log in, into the same bakery with its role.
    const auto l = login(s.port(), email, password);
    EXPECT_EQ(l.user, u);
    EXPECT_EQ(jwt_payload(l.access).at("role").as_string(), role);
    EXPECT_EQ(jwt_payload(l.access).at("bky").as_string(), owner.bakery_id);
  }
  EXPECT_EQ(sql_value(s.db, "SELECT count(*) FROM bakeries"), "1") << "no new bakery";
  EXPECT_EQ(sql_value(s.db, "SELECT count(*) FROM users WHERE bakery_id = '" + owner.bakery_id + "'"), "3");
}

TEST(users, admin_may_create_staff_and_staff_may_create_nobody) {
  instance s("users_roles");
  const auto owner = register_owner(s.port(), "rowner");
  const auto admin = add_user(s.port(), owner, "admin", "radmin");
  const auto staff = add_user(s.port(), admin, "staff", "rstaff");
  EXPECT_EQ(staff.bakery_id, owner.bakery_id);
  EXPECT_EQ(staff.role, "staff");

  for (const char* role : {"staff", "admin"}) {
    const auto r = create_user(s.port(), staff.access, user_body(unique_email("denied"), "password-123", "X", role));
    EXPECT_EQ(r.status, 403) << r.body;
    if (r.status == 403) {
      const auto b = json_of(r);
      EXPECT_EQ(b.at("statusCode").as_int64(), 403);
      EXPECT_EQ(b.at("error").as_string(), "Forbidden");
      EXPECT_TRUE(b.at("message").is_string() && !b.at("message").as_string().empty()) << r.body;
    }
  }
  EXPECT_EQ(sql_value(s.db, "SELECT count(*) FROM users"), "3");
}

TEST(users, invalid_roles_and_bodies_are_400) {
  instance s("users_400");
  const auto owner = register_owner(s.port(), "vowner");
  const auto email = unique_email("v");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"role owner", user_body(email, "password-123", "N", "owner")},
      {"role chef", user_body(email, "password-123", "N", "chef")},
      {"role empty", user_body(email, "password-123", "N", "")},
      {"role a number", user_body(email, "password-123", "N", 1)},
      {"role Admin", user_body(email, "password-123", "N", "Admin")},
      {"missing role", core::to_json(boost::json::object{{"email", email}, {"password", "password-123"}, {"name", "N"}})},
      {"invalid email", user_body("nope", "password-123", "N", "staff")},
      {"password of 7", user_body(email, "1234567", "N", "staff")},
      {"password of 129", user_body(email, std::string(129, 'p'), "N", "staff")},
      {"empty name", user_body(email, "password-123", "", "staff")},
      {"name of 101", user_body(email, "password-123", std::string(101, 'n'), "staff")},
      {"malformed JSON", R"({"email":")" + email + R"(","role":"staff")"},
  };
  for (const auto& [what, body] : cases) EXPECT_TRUE(is_bad_request(create_user(s.port(), owner.access, body))) << what;
  EXPECT_EQ(sql_value(s.db, "SELECT count(*) FROM users"), "1");
}

TEST(users, duplicate_email_is_409_also_across_bakeries_and_letter_case) {
  instance s("users_409");
  const auto owner = register_owner(s.port(), "downer");
  const auto other = register_owner(s.port(), "dother");
  const auto staff_email = unique_email("dstaff");
  ASSERT_EQ(create_user(s.port(), owner.access, user_body(staff_email, "password-123", "N", "staff")).status, 201);
  std::string upper = staff_email;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(is_error(create_user(s.port(), owner.access, user_body(upper, "password-123", "N", "admin")), 409,
                       "Conflict", "Email already registered"));
  EXPECT_TRUE(is_error(create_user(s.port(), owner.access, user_body(other.email, "password-123", "N", "staff")), 409,
                       "Conflict", "Email already registered"))
      << "the owner of another bakery";
  EXPECT_TRUE(is_error(post(s.port(), "/api/v1/auth/register", register_body(staff_email, "password-123", "N", "B")),
                       409, "Conflict", "Email already registered"))
      << "register with a staff member's email";
}

TEST(users, list_holds_exactly_the_callers_bakery) {
  instance s("users_list");
  const auto owner = register_owner(s.port(), "lowner");
  const auto admin = add_user(s.port(), owner, "admin", "ladmin");
  const auto staff = add_user(s.port(), owner, "staff", "lstaff");
  const auto other = register_owner(s.port(), "lother");
  const auto other_staff = add_user(s.port(), other, "staff", "lostaff");

  const auto r = authed(s.port(), "GET", "/api/v1/users", owner.access);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = json_of(r);
  ASSERT_TRUE(body.at("items").is_array()) << r.body;
  for (const auto& u : body.at("items").as_array()) EXPECT_TRUE(is_user(u.as_object()));
  EXPECT_EQ(ids_of(r), (std::set<std::string>{owner.id, admin.id, staff.id}));
  EXPECT_TRUE(free_of(r.body, {owner.password, admin.password, staff.password}));

  // Every role may read its bakery's list; the other bakery sees its own.
  EXPECT_EQ(ids_of(authed(s.port(), "GET", "/api/v1/users", staff.access)),
            (std::set<std::string>{owner.id, admin.id, staff.id}));
  EXPECT_EQ(ids_of(authed(s.port(), "GET", "/api/v1/users", other_staff.access)),
            (std::set<std::string>{other.id, other_staff.id}));
}

TEST(users, routes_need_a_valid_access_token) {
  instance s("users_401");
  const auto owner = register_owner(s.port(), "uaowner");
  EXPECT_TRUE(is_unauthorized(http_call(s.port(), "GET", "/api/v1/users")));
  EXPECT_TRUE(is_unauthorized(post(s.port(), "/api/v1/users", user_body(unique_email("x"), "password-123", "N", "staff"))));
  EXPECT_TRUE(is_unauthorized(authed(s.port(), "GET", "/api/v1/users", owner.refresh)));
  EXPECT_TRUE(is_unauthorized(authed(s.port(), "GET", "/api/v1/users", "garbage")));
  ASSERT_EQ(authed(s.port(), "POST", "/api/v1/auth/logout", owner.access).status, 204);
  EXPECT_TRUE(is_revoked(authed(s.port(), "GET", "/api/v1/users", owner.access)));
  EXPECT_TRUE(is_revoked(create_user(s.port(), owner.access, user_body(unique_email("y"), "password-123", "N", "staff"))));
}

}  // namespace
}  // namespace bakewind::test::auth_e2e
