#include "pg/combine.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <map>
#include <new>
#include <stdexcept>
#include <utility>

namespace bakewind::pg {

std::string array_literal(std::span<const param* const> values) {
  std::string out = "{";
  for (const param* p : values) {
    if (out.size() > 1) out += ',';
    const char* text = p->c_str();
    if (text == nullptr) {
      out += "NULL";
      continue;
    }
    // Quoted, every element: unquoted text would need rules for spaces,
    // braces, commas and the word NULL.
    out += '"';
    for (const char* c = text; *c != '\0'; ++c) {
      if (*c == '"' || *c == '\\') out += '\\';
      out += *c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<batch_group> group_batch(std::span<const std::string> keys, std::span<const combiner* const> kinds) {
  if (keys.size() != kinds.size()) throw std::invalid_argument("pg::group_batch: one kind per key");
  std::map<std::string_view, std::size_t> seen;  // key -> how many earlier members had it
  std::vector<std::pair<std::size_t, batch_group>> rounds;  // (round, group), in order of first member
  std::map<std::pair<std::size_t, const combiner*>, std::size_t> open;  // (round, kind) -> index in rounds
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::size_t round = seen[keys[i]]++;
    if (kinds[i] != nullptr) {
      const auto found = open.find({round, kinds[i]});
      if (found != open.end()) {
        rounds[found->second].second.members.push_back(i);
        continue;
      }
      open.emplace(std::make_pair(round, kinds[i]), rounds.size());
    }
    rounds.push_back({round, batch_group{kinds[i], {i}}});
  }
  std::stable_sort(rounds.begin(), rounds.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<batch_group> groups;
  groups.reserve(rounds.size());
  for (auto& r : rounds) groups.push_back(std::move(r.second));
  return groups;
}

statement combined_statement(const combiner& c, std::span<const statement* const> members) {
  statement out{c.sql, {}};
  if (members.empty()) return out;
  const std::size_t count = members.front()->params.size();
  std::vector<const param*> column(members.size());
  for (std::size_t p = 0; p < count; ++p) {
    for (std::size_t m = 0; m < members.size(); ++m) {
      if (members[m]->params.size() != count) throw std::invalid_argument("pg::combined_statement: parameter counts differ");
      column[m] = &members[m]->params[p];
    }
    out.params.emplace_back(array_literal(column));
  }
  return out;
}

namespace {

// An empty copy of `all`'s columns, to receive one caller's rows.
result columns_of(const result& all) {
  pg_result* raw = PQcopyResult(all.native(), PG_COPYRES_ATTRS);
  if (raw == nullptr) throw std::bad_alloc();
  return result(raw);
}

void append_row(result& to, const result& all, std::size_t row) {
  const int at = static_cast<int>(to.rows());
  for (std::size_t col = 0; col < all.columns(); ++col) {
    const int r = static_cast<int>(row);
    const int c = static_cast<int>(col);
    // libpq copies the value; a NULL goes in as length -1.
    char* value = PQgetisnull(all.native(), r, c) != 0 ? nullptr : PQgetvalue(all.native(), r, c);
    if (PQsetvalue(to.native(), at, c, value, value == nullptr ? -1 : PQgetlength(all.native(), r, c)) == 0) {
      throw std::bad_alloc();
    }
  }
}

}  // namespace

std::vector<result> split_rows(const result& all, std::size_t key_column, std::span<const std::string_view> keys) {
  std::map<std::string_view, std::size_t> owner;
  std::vector<result> out;
  out.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    owner.emplace(keys[i], i);
    out.push_back(all.native() == nullptr ? result() : columns_of(all));
  }
  for (std::size_t row = 0; row < all.rows(); ++row) {
    const auto found = owner.find(all.value(row, key_column));
    // A row of no caller's key: a key not spelled as the server prints it.
    // Dropping the row would tell its caller "nothing happened" about a
    // write that took effect; a bug to surface instead.
    if (found == owner.end()) throw std::logic_error("pg::split_rows: a row of no caller's key");
    append_row(out[found->second], all, row);
  }
  return out;
}

}  // namespace bakewind::pg
