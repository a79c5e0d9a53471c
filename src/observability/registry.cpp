#include "observability/registry.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace bakewind::observability {

namespace {

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc{} ? end : buf);
  }
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc{} ? end : buf);
}

// Label values escape backslash, double quote and newline (the format's rule).
void append_label_value(std::string& out, std::string_view v) {
  for (const char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

// HELP text escapes backslash and newline.
void append_help(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

std::string_view type_name(metric_type t) {
  switch (t) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

void family_writer::line(std::string_view suffix, labels l, const label* extra, std::string_view value) {
  out_.append(name_).append(suffix);
  if (l.size() > 0 || extra != nullptr) {
    out_ += '{';
    bool first = true;
    auto put = [&](const label& one) {
      if (!first) out_ += ',';
      first = false;
      out_.append(one.first).append("=\"");
      append_label_value(out_, one.second);
      out_ += '"';
    };
    for (const auto& one : l) put(one);
    if (extra != nullptr) put(*extra);
    out_ += '}';
  }
  out_ += ' ';
  out_.append(value);
  out_ += '\n';
}

void family_writer::sample(labels l, double value) {
  std::string text;
  append_number(text, value);
  line("", l, nullptr, text);
}

void family_writer::sample(labels l, std::uint64_t value) {
  std::string text;
  append_number(text, value);
  line("", l, nullptr, text);
}

void family_writer::histogram(labels l, const histogram_snapshot& h) {
  std::string bound;
  std::string value;
  for (std::size_t i = 0; i < h.cumulative.size(); ++i) {
    bound.clear();
    value.clear();
    bound = i < latency_bounds.size() ? latency_bound_labels[i] : "+Inf";
    append_number(value, h.cumulative[i]);
    const label le{"le", bound};
    line("_bucket", l, &le, value);
  }
  value.clear();
  append_number(value, h.sum_seconds);
  line("_sum", l, nullptr, value);
  value.clear();
  append_number(value, h.count);
  line("_count", l, nullptr, value);
}

void registry::add(std::string name, metric_type type, std::string help, collector collect) {
  for (const auto& f : families_) {
    if (f.name == name) throw std::invalid_argument("metric family registered twice: " + name);
  }
  families_.push_back({std::move(name), type, std::move(help), std::move(collect)});
}

void registry::add_counter(std::string name, std::string help, std::function<std::uint64_t()> read) {
  add(std::move(name), metric_type::counter, std::move(help),
      [read = std::move(read)](family_writer& w) { w.sample({}, read()); });
}

void registry::add_gauge(std::string name, std::string help, std::function<double()> read) {
  add(std::move(name), metric_type::gauge, std::move(help),
      [read = std::move(read)](family_writer& w) { w.sample({}, read()); });
}

std::string registry::render() const {
  std::string out;
  out.reserve(16 * 1024);
  for (const auto& f : families_) {
    out.append("# HELP ").append(f.name).append(" ");
    append_help(out, f.help);
    out.append("\n# TYPE ").append(f.name).append(" ").append(type_name(f.type)).append("\n");
    family_writer w(out, f.name);
    f.collect(w);
  }
  return out;
}

}  // namespace bakewind::observability
