#pragma once
// An owned, immutable PGresult in text format.

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

struct pg_result;  // libpq's PGresult, kept out of this header

namespace bakewind::pg {

/// The rows of one statement, in text format. Owns its PGresult; move-only.
/// Views returned by `value` stay valid while this object lives. Row and
/// column indexes out of range throw std::out_of_range.
class result {
 public:
  /// An empty result: no rows, no columns.
  result() noexcept = default;
  /// Takes ownership of `raw` (may be null for an empty result).
  explicit result(pg_result* raw) noexcept;

  /// Number of rows returned.
  std::size_t rows() const noexcept;
  /// Number of columns per row.
  std::size_t columns() const noexcept;
  /// The column named `name` (exact, case-sensitive); throws std::out_of_range if absent.
  std::size_t column(std::string_view name) const;
  /// The text of one field; empty for NULL (tell them apart with is_null).
  std::string_view value(std::size_t row, std::size_t col) const;
  /// The text of one field, by column name.
  std::string_view value(std::size_t row, std::string_view col) const { return value(row, column(col)); }
  /// True when the field is SQL NULL.
  bool is_null(std::size_t row, std::size_t col) const;
  /// The field, or nullopt for SQL NULL.
  std::optional<std::string_view> optional_value(std::size_t row, std::size_t col) const;
  /// The field as a 64-bit integer (an int or bigint column); throws
  /// std::invalid_argument when its text is not one (SQL NULL included).
  long long integer(std::size_t row, std::size_t col) const;
  /// Rows touched by INSERT/UPDATE/DELETE/SELECT/MOVE/FETCH/COPY (PQcmdTuples); 0 otherwise.
  std::size_t affected_rows() const noexcept;
  /// The command tag, e.g. "INSERT 0 1"; empty for an empty result.
  std::string_view command_tag() const noexcept;

  /// The underlying PGresult (still owned by this object), or null.
  pg_result* native() const noexcept { return raw_.get(); }

 private:
  void check(std::size_t row, std::size_t col) const;

  struct deleter {
    void operator()(pg_result* r) const noexcept;
  };
  std::unique_ptr<pg_result, deleter> raw_;
};

/// Every row of `r`, in order, as `from(r, row)` makes it: what a store
/// returns for a statement of many rows.
template <class From>
auto all_rows(const result& r, From from) {
  std::vector<std::invoke_result_t<From&, const result&, std::size_t>> out;
  out.reserve(r.rows());
  for (std::size_t i = 0; i < r.rows(); ++i) out.push_back(from(r, i));
  return out;
}

}  // namespace bakewind::pg
