#pragma once
// The metrics registry and its Prometheus text exposition (format 0.0.4).
// A family is a name, a type, a help text and a collector that writes the
// family's samples when /metrics is scraped: the registry owns no values,
// so figures kept per event loop are summed by the collector at scrape time.

#include "observability/metric_types.hpp"

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakewind::observability {

enum class metric_type { counter, gauge, histogram };

/// One label: name and value. Values are escaped on output; names must be
/// valid Prometheus label names (they are the code's constants).
using label = std::pair<std::string_view, std::string_view>;
using labels = std::initializer_list<label>;

/// Writes the samples of one family into the exposition.
class family_writer {
 public:
  family_writer(std::string& out, std::string_view name) : out_(out), name_(name) {}

  /// One counter or gauge sample.
  void sample(labels l, double value);
  void sample(labels l, std::uint64_t value);

  /// One histogram series: its `_bucket`, `_sum` and `_count` lines.
  void histogram(labels l, const histogram_snapshot& h);

 private:
  void line(std::string_view suffix, labels l, const label* extra, std::string_view value);

  std::string& out_;
  std::string_view name_;
};

class registry {
 public:
  using collector = std::function<void(family_writer&)>;

  /// Adds a family. `name` follows Prometheus conventions (`_total` for
  /// counters, base units); names are unique. Not thread-safe: add every
  /// family before the first scrape.
  void add(std::string name, metric_type type, std::string help, collector collect);

  /// A family of one unlabelled counter.
  void add_counter(std::string name, std::string help, std::function<std::uint64_t()> read);

  /// A family of one unlabelled gauge.
  void add_gauge(std::string name, std::string help, std::function<double()> read);

  /// The whole exposition, families in the order added. Collectors run on
  /// the calling thread; they read atomics only.
  std::string render() const;

 private:
  struct family {
    std::string name;
    metric_type type;
    std::string help;
    collector collect;
  };
  std::vector<family> families_;
};

/// The exposition's content type.
inline constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace bakewind::observability
