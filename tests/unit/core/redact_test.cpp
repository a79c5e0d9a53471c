#include "core/redact.hpp"

#include <gtest/gtest.h>

namespace bakewind::core {
namespace {

TEST(redact_url, masks_the_password_of_redis_and_postgres_urls_and_keeps_the_rest) {
  EXPECT_EQ(redact_url("redis://:s3cret@cache:6379/0"), "redis://:***@cache:6379/0");
  EXPECT_EQ(redact_url("rediss://app:s3cret@cache:6380"), "rediss://app:***@cache:6380");
  EXPECT_EQ(redact_url("postgres://bakewind:p%40ss@db:5432/bakewind?sslmode=require"),
            "postgres://bakewind:***@db:5432/bakewind?sslmode=require");
  EXPECT_EQ(redact_url("postgresql://u@db/x?password=s3cret&sslmode=disable"),
            "postgresql://u@db/x?password=***&sslmode=disable");
}

TEST(redact_url, leaves_urls_without_a_password_alone) {
  EXPECT_EQ(redact_url("redis://localhost:6379"), "redis://localhost:6379");
  EXPECT_EQ(redact_url("postgres://postgres@127.0.0.1:5432/db"), "postgres://postgres@127.0.0.1:5432/db");
}

TEST(redact_url, masks_libpq_keyword_strings_and_gives_up_on_anything_else) {
  EXPECT_EQ(redact_url("host=db user=u password=s3cret dbname=x"), "host=db user=u password=*** dbname=x");
  EXPECT_EQ(redact_url("host=db password = 'a b\\' c' dbname=x"), "host=db password = *** dbname=x");
  EXPECT_EQ(redact_url("redis://us er:pw@@@"), "(unparsable)");
  EXPECT_EQ(redact_url("user:s3cret@host"), "(unparsable)");
}

}  // namespace
}  // namespace bakewind::core
