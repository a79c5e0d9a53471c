#pragma once
// What the auth stores share: a statement's rows as typed values.

#include "pg/result.hpp"

#include <cstddef>
#include <type_traits>
#include <vector>

namespace bakewind::auth::detail {

/// Every row of `r`, in order, as `from(r, row)` makes it.
template <class F>
auto all_rows(const pg::result& r, F from) {
  std::vector<std::invoke_result_t<F&, const pg::result&, std::size_t>> out;
  out.reserve(r.rows());
  for (std::size_t i = 0; i < r.rows(); ++i) out.push_back(from(r, i));
  return out;
}

}  // namespace bakewind::auth::detail
