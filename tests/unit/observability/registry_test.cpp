// The Prometheus text exposition: HELP/TYPE lines, escaping, histograms
// with cumulative buckets ending in +Inf == count, and the bucket a latency
// falls into at each boundary.

#include "observability/registry.hpp"

#include <gtest/gtest.h>

namespace bakewind::observability {
namespace {

using namespace std::chrono_literals;

TEST(registry, renders_help_type_and_labelled_samples_in_order) {
  registry r;
  counter hits;
  hits.inc(3);
  r.add_counter("a_total", "Things that happened", [&] { return hits.value(); });
  r.add("b", metric_type::gauge, "Levels", [](family_writer& w) {
    w.sample({{"kind", "x"}}, 1.5);
    w.sample({{"kind", "y"}, {"zone", "z"}}, 2.0);
  });
  EXPECT_EQ(r.render(),
            "# HELP a_total Things that happened\n# TYPE a_total counter\na_total 3\n"
            "# HELP b Levels\n# TYPE b gauge\nb{kind=\"x\"} 1.5\nb{kind=\"y\",zone=\"z\"} 2\n");
}

TEST(registry, escapes_label_values_and_help_text) {
  registry r;
  r.add("c", metric_type::gauge, "line one\nback\\slash", [](family_writer& w) {
    w.sample({{"v", "say \"hi\"\\\n"}}, 1.0);
  });
  EXPECT_EQ(r.render(), "# HELP c line one\\nback\\\\slash\n# TYPE c gauge\nc{v=\"say \\\"hi\\\"\\\\\\n\"} 1\n");
}

TEST(registry, refuses_a_family_registered_twice) {
  registry r;
  r.add_gauge("g", "x", [] { return 0.0; });
  EXPECT_THROW(r.add_gauge("g", "y", [] { return 1.0; }), std::invalid_argument);
}

TEST(registry, histogram_buckets_are_cumulative_and_end_with_inf_equal_to_count) {
  latency_histogram h;
  h.observe(50us);    // <= 0.0001
  h.observe(100us);   // exactly 0.0001: "le" is inclusive
  h.observe(101us);   // <= 0.00025
  h.observe(3ms);     // <= 0.005
  h.observe(10s);     // only +Inf
  registry r;
  r.add("lat_seconds", metric_type::histogram, "Latency", [&](family_writer& w) {
    w.histogram({{"op", "x"}}, h.snapshot());
  });
  const auto text = r.render();
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"x\",le=\"0.0001\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"x\",le=\"0.00025\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"x\",le=\"0.0025\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"x\",le=\"0.005\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"x\",le=\"5\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{op=\"x\",le=\"+Inf\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count{op=\"x\"} 5\n"), std::string::npos) << text;
  const auto snap = h.snapshot();
  EXPECT_NEAR(snap.sum_seconds, 10.003251, 1e-9);
}

TEST(registry, snapshots_of_several_loops_add_up) {
  latency_histogram a;
  latency_histogram b;
  a.observe(1ms);
  b.observe(1ms);
  b.observe(1s);
  auto sum = a.snapshot();
  sum += b.snapshot();
  EXPECT_EQ(sum.count, 3u);
  EXPECT_EQ(sum.cumulative.back(), 3u);
  EXPECT_NEAR(sum.sum_seconds, 1.002, 1e-9);
}

}  // namespace
}  // namespace bakewind::observability
