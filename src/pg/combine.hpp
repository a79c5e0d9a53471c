#pragma once
// Set-based statements for pg::batcher: statements of one kind, waiting in
// the same batch, run as one statement over arrays (`unnest`), so that the
// server plans and executes once for all of them instead of once each. The
// planning here (which statements go together, how their parameters become
// arrays, whose rows are whose) is pure, so unit tests check it without a
// server.

#include "pg/connection.hpp"
#include "pg/param.hpp"
#include "pg/result.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::pg {

/// How statements of one kind run as one. `sql` takes as parameter $i the
/// array (PostgreSQL's text form) of parameter $i of every statement
/// combined, in batch order; it must do per element what the single
/// statement does, and return the same columns. Column `key_column` of each
/// row it returns holds the key of the statement the row belongs to, spelled
/// exactly as that statement's key (so a caller combines only keys in the
/// server's own spelling). A result handed back from a combined statement
/// carries its caller's rows only; its command tag is the whole statement's.
/// Identified by address: one object per kind, living as long as the batcher.
struct combiner {
  std::string sql;
  std::size_t key_column = 0;
};

/// `values` as one array parameter in PostgreSQL's text form: every element
/// double-quoted with `"` and `\` escaped, SQL NULL as NULL.
std::string array_literal(std::span<const param* const> values);

/// One statement of a batch: the members (indexes into the batch) it runs
/// for, and the combiner that joins them (null: the one member's own SQL).
struct batch_group {
  const combiner* combine = nullptr;
  std::vector<std::size_t> members;
};

/// Splits a batch, given in the order its statements must take effect, into
/// the statements that run it. Members of one kind (same combiner) join one
/// group, except that a key seen earlier in the batch starts a new round:
/// a set-based statement cannot touch a row twice, and writes to one key
/// must take effect in their order. Groups come round by round, and within
/// a round in the order of their first member. `kinds[i]` null: alone.
std::vector<batch_group> group_batch(std::span<const std::string> keys, std::span<const combiner* const> kinds);

/// The set-based statement of `c` for `members` (each one's parameters, all
/// of the same count), in their order.
statement combined_statement(const combiner& c, std::span<const statement* const> members);

/// The rows of a combined statement's result, split by key: for each of
/// `keys`, a result holding (in their order) the rows whose key column
/// equals it, with the same columns. Keys must be distinct.
std::vector<result> split_rows(const result& all, std::size_t key_column, std::span<const std::string_view> keys);

}  // namespace bakewind::pg
