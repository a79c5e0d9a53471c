// order_from_json: reads an order cache copy straight into an `order`, by
// Boost.JSON's event parser. Building a DOM first and looking each field up
// in it took two fifths of a cached GET's instructions (a heap block per
// string, a hash lookup per field); the events land in the fields directly.
// What is accepted is what the DOM version accepted: one JSON object with
// every field of to_json() in its type (numbers that fit int64), items each
// an object with product, quantity and unitPriceCents; other keys ignored.

#include "orders/order.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>

namespace bakewind::orders {

namespace {

namespace json = boost::json;
using json::error_code;
using json::string_view;

// Where the next value goes: a field of the order, of its current item, or
// nowhere (a key we do not read, such as `lock`).
enum class slot : std::uint8_t {
  id,
  bakery_id,
  customer_name,
  items,
  total_cents,
  status,
  due_at,
  notes,
  version,
  created_by,
  created_at,
  updated_at,
  product,
  quantity,
  unit_price_cents,
  ignored,
};

constexpr std::uint32_t bit(slot s) noexcept { return 1U << static_cast<unsigned>(s); }
constexpr std::uint32_t order_fields = bit(slot::updated_at) * 2 - 1;  // id .. updated_at
constexpr std::uint32_t item_fields = bit(slot::product) | bit(slot::quantity) | bit(slot::unit_price_cents);

struct field_name {
  std::string_view name;
  slot where;
};

constexpr field_name order_names[] = {
    {"id", slot::id},         {"bakeryId", slot::bakery_id},   {"customerName", slot::customer_name},
    {"items", slot::items},   {"totalCents", slot::total_cents}, {"status", slot::status},
    {"dueAt", slot::due_at},  {"notes", slot::notes},          {"version", slot::version},
    {"createdBy", slot::created_by}, {"createdAt", slot::created_at}, {"updatedAt", slot::updated_at}};

constexpr field_name item_names[] = {
    {"product", slot::product}, {"quantity", slot::quantity}, {"unitPriceCents", slot::unit_price_cents}};

template <std::size_t N>
slot find_slot(const field_name (&names)[N], std::string_view key) noexcept {
  for (const auto& f : names) {
    if (f.name == key) return f.where;
  }
  return slot::ignored;
}

// The handler of json::basic_parser. Levels: 0 outside, 1 in the order, 2 in
// its items array, 3 in one item. A value under a key we do not read is
// skipped whole (`skip_` counts the containers open inside it). Any event
// that breaks the shape fails the parse.
class order_handler {
 public:
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);

  order& result() noexcept { return out_; }
  bool complete() const noexcept { return level_ == 0 && seen_ == order_fields; }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code& ec) { return open(true, ec); }
  bool on_object_end(std::size_t, error_code& ec) { return close(ec); }
  bool on_array_begin(error_code& ec) { return open(false, ec); }
  bool on_array_end(std::size_t, error_code& ec) { return close(ec); }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    if (skip_ == 0) key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    if (skip_ > 0) return true;
    if (key_.empty()) {
      take_key(std::string_view(s.data(), s.size()));
      return true;
    }
    key_.append(s.data(), s.size());
    take_key(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code& ec) { return text(s, false, ec); }
  bool on_string(string_view s, std::size_t, error_code& ec) { return text(s, true, ec); }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t n, string_view, error_code& ec) { return number(n, ec); }
  bool on_uint64(std::uint64_t, string_view, error_code& ec) { return other_value(ec); }
  bool on_double(double, string_view, error_code& ec) { return other_value(ec); }
  bool on_bool(bool, error_code& ec) { return other_value(ec); }
  bool on_null(error_code& ec) {
    if (skip_ == 0 && level_ == 1 && where_ == slot::due_at) {
      out_.due_at.reset();
      seen_ |= bit(slot::due_at);
      return true;
    }
    return other_value(ec);
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  static bool fail(error_code& ec) {
    ec = json::error::syntax;  // any code: the caller only asks whether it failed
    return false;
  }

  // A value under a key we read must have that key's type; one we skip may
  // be anything; none may stand alone outside the order or in its items.
  bool other_value(error_code& ec) const {
    if (skip_ > 0 || (where_ == slot::ignored && (level_ == 1 || level_ == 3))) return true;
    return fail(ec);
  }

  bool open(bool object, error_code& ec) {
    if (skip_ > 0 || (where_ == slot::ignored && (level_ == 1 || level_ == 3))) {
      ++skip_;
    } else if (level_ == 0 && object) {
      level_ = 1;
    } else if (level_ == 1 && !object && where_ == slot::items) {
      out_.items.clear();  // a repeated key: the last one counts, as in a DOM
      level_ = 2;
    } else if (level_ == 2 && object) {
      out_.items.emplace_back();
      item_seen_ = 0;
      where_ = slot::ignored;
      level_ = 3;
    } else {
      return fail(ec);
    }
    return true;
  }

  bool close(error_code& ec) {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    if (level_ == 3 && item_seen_ != item_fields) return fail(ec);
    if (level_ == 2) seen_ |= bit(slot::items);
    --level_;
    where_ = slot::ignored;
    return true;
  }

  void take_key(std::string_view key) {
    where_ = level_ == 1 ? find_slot(order_names, key) : find_slot(item_names, key);
    std::string* target = text_of(where_);
    if (target != nullptr) target->clear();  // a repeated key: the last one counts
  }

  // The string a text slot fills; nullptr for other slots.
  std::string* text_of(slot s) {
    switch (s) {
      case slot::id: return &out_.id;
      case slot::bakery_id: return &out_.bakery_id;
      case slot::customer_name: return &out_.customer_name;
      case slot::status: return &out_.status;
      case slot::notes: return &out_.notes;
      case slot::created_by: return &out_.created_by;
      case slot::created_at: return &out_.created_at;
      case slot::updated_at: return &out_.updated_at;
      case slot::product: return &out_.items.back().product;
      case slot::due_at: return out_.due_at ? &*out_.due_at : &out_.due_at.emplace();
      default: return nullptr;
    }
  }

  // A string arrives whole, or in parts (escapes, long text) and then whole.
  bool text(string_view s, bool last, error_code& ec) {
    if (skip_ > 0 || where_ == slot::ignored) return other_value(ec);
    std::string* target = text_of(where_);
    if (target == nullptr) return fail(ec);
    target->append(s.data(), s.size());
    if (last) mark_seen();
    return true;
  }

  bool number(std::int64_t n, error_code& ec) {
    if (skip_ > 0 || where_ == slot::ignored) return other_value(ec);
    long long* target = where_ == slot::total_cents        ? &out_.total_cents
                        : where_ == slot::version          ? &out_.version
                        : where_ == slot::quantity         ? &out_.items.back().quantity
                        : where_ == slot::unit_price_cents ? &out_.items.back().unit_price_cents
                                                           : nullptr;
    if (target == nullptr) return fail(ec);
    *target = n;
    mark_seen();
    return true;
  }

  void mark_seen() {
    if (level_ == 3) {
      item_seen_ |= bit(where_);
    } else {
      seen_ |= bit(where_);
    }
  }

  order out_;
  std::string key_;  // a key that came in parts
  std::uint32_t seen_ = 0;
  std::uint32_t item_seen_ = 0;
  int level_ = 0;
  int skip_ = 0;
  slot where_ = slot::ignored;
};

}  // namespace

std::optional<order> order_from_json(std::string_view text) {
  json::parse_options options;
  options.max_depth = 64;  // as core::parse_json: hostile nesting cannot exhaust the stack
  json::basic_parser<order_handler> parser(options);
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || used != text.size() || !parser.handler().complete()) return std::nullopt;
  return std::move(parser.handler().result());
}

}  // namespace bakewind::orders
