// How a connection runs a statement (connection::set_prepare_statements):
// unnamed until preparing is on, prepared once per name, by name after that,
// unnamed beyond the cap, and nothing remembered once a pooler moved the session.

#include "pg/detail/prepared_statements.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace bakewind::pg::detail {
namespace {

using plan = prepared_statements::plan;

// A cache that prepares, and holds `held` already.
prepared_statements preparing(std::initializer_list<const char*> held = {}) {
  prepared_statements names;
  names.enable(true);
  for (const char* name : held) names.add(name);
  return names;
}

TEST(prepared_statements, everything_runs_unnamed_until_preparing_is_on) {
  prepared_statements names;
  EXPECT_EQ(names.plan_for("bw_1"), plan::unnamed);
  names.enable(true);
  EXPECT_EQ(names.plan_for("bw_1"), plan::prepare);
}

TEST(prepared_statements, a_name_is_prepared_once_then_run_by_name) {
  const prepared_statements names = preparing({"bw_1"});
  EXPECT_EQ(names.plan_for("bw_1"), plan::by_name);
  EXPECT_EQ(names.plan_for("bw_2"), plan::prepare);
}

TEST(prepared_statements, switching_off_and_on_keeps_the_names_the_session_holds) {
  prepared_statements names = preparing({"bw_1"});
  names.enable(false);
  EXPECT_EQ(names.plan_for("bw_1"), plan::unnamed);
  names.enable(true);
  EXPECT_EQ(names.plan_for("bw_1"), plan::by_name);
}

TEST(prepared_statements, a_forgotten_name_is_prepared_again) {
  prepared_statements names = preparing({"bw_1"});
  names.forget("bw_1");
  EXPECT_EQ(names.plan_for("bw_1"), plan::prepare);
}

TEST(prepared_statements, beyond_the_cap_new_statements_run_unnamed_and_known_ones_by_name) {
  prepared_statements names = preparing();
  for (std::size_t i = 0; i < prepared_statements::max_names; ++i) names.add("bw_" + std::to_string(i));
  EXPECT_EQ(names.plan_for("bw_new"), plan::unnamed);
  EXPECT_EQ(names.plan_for("bw_0"), plan::by_name);
  names.forget("bw_0");
  EXPECT_EQ(names.plan_for("bw_new"), plan::prepare) << "a freed place is used again";
}

TEST(prepared_statements, a_moved_session_stops_preparing_and_forgets_every_name) {
  prepared_statements names = preparing({"bw_1"});
  names.stop();
  EXPECT_FALSE(names.enabled());
  EXPECT_EQ(names.plan_for("bw_1"), plan::unnamed);
  names.enable(true);
  EXPECT_EQ(names.plan_for("bw_1"), plan::prepare) << "the name is not assumed to exist";
}

}  // namespace
}  // namespace bakewind::pg::detail
