#include "pg/result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>

namespace bakewind::pg {

void result::deleter::operator()(pg_result* r) const noexcept { PQclear(r); }

result::result(pg_result* raw) noexcept : raw_(raw) {}

std::size_t result::rows() const noexcept {
  return raw_ ? static_cast<std::size_t>(PQntuples(raw_.get())) : 0;
}

std::size_t result::columns() const noexcept {
  return raw_ ? static_cast<std::size_t>(PQnfields(raw_.get())) : 0;
}

std::size_t result::column(std::string_view name) const {
  // Not PQfnumber: it folds case and parses quotes, which makes "a" and "A" the same column.
  for (std::size_t i = 0; i < columns(); ++i) {
    if (name == PQfname(raw_.get(), static_cast<int>(i))) return i;
  }
  throw std::out_of_range("no column named " + std::string(name));
}

void result::check(std::size_t row, std::size_t col) const {
  if (row >= rows() || col >= columns()) {
    throw std::out_of_range("result field (" + std::to_string(row) + ", " + std::to_string(col) +
                            ") out of range");
  }
}

std::string_view result::value(std::size_t row, std::size_t col) const {
  check(row, col);
  const int r = static_cast<int>(row);
  const int c = static_cast<int>(col);
  return {PQgetvalue(raw_.get(), r, c), static_cast<std::size_t>(PQgetlength(raw_.get(), r, c))};
}

bool result::is_null(std::size_t row, std::size_t col) const {
  check(row, col);
  return PQgetisnull(raw_.get(), static_cast<int>(row), static_cast<int>(col)) == 1;
}

std::optional<std::string_view> result::optional_value(std::size_t row, std::size_t col) const {
  if (is_null(row, col)) return std::nullopt;
  return value(row, col);
}

long long result::integer(std::size_t row, std::size_t col) const {
  const std::string_view text = value(row, col);
  long long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument("not an integer: column " + std::to_string(col));
  }
  return n;
}

std::size_t result::affected_rows() const noexcept {
  if (!raw_) return 0;
  const char* text = PQcmdTuples(raw_.get());
  std::size_t n = 0;
  std::from_chars(text, text + std::strlen(text), n);
  return n;
}

std::string_view result::command_tag() const noexcept {
  if (!raw_) return {};
  const char* tag = PQcmdStatus(raw_.get());
  return tag != nullptr ? std::string_view(tag) : std::string_view();
}

}  // namespace bakewind::pg
