#pragma once
// The prepared-statement cache of one connection: bookkeeping only, no I/O.

#include <cstddef>
#include <string>
#include <unordered_set>

namespace bakewind::pg::detail {

/// The names one PostgreSQL session holds prepared statements under, whether
/// to prepare at all, and so how to run the next statement (see
/// connection::set_prepare_statements). The connection sends and reads; this
/// only decides and remembers. Off until enabled.
class prepared_statements {
 public:
  /// How to run one statement.
  enum class plan {
    unnamed,  ///< not preparing, or the cap is reached: parsed afresh each time
    prepare,  ///< new to this session: prepare it under its name, then run it by name
    by_name,  ///< this session has it: run it by name
  };

  /// Beyond this many names statements run unnamed: a statement built with
  /// values in its text would otherwise fill the server's memory.
  static constexpr std::size_t max_names = 256;

  /// The plan for the statement named `name` (see pg::statement_name).
  plan plan_for(const std::string& name) const {
    if (!enabled_) return plan::unnamed;
    if (names_.contains(name)) return plan::by_name;
    return names_.size() < max_names ? plan::prepare : plan::unnamed;
  }

  /// Whether new statements are prepared; the names already held stay known.
  bool enabled() const noexcept { return enabled_; }
  /// Turns preparing on or off.
  void enable(bool on) noexcept { enabled_ = on; }

  /// The session now holds `name` (or will, once its Parse is read).
  void add(const std::string& name) { names_.insert(name); }
  /// The session turned out not to hold `name` (its Parse was rejected).
  void forget(const std::string& name) { names_.erase(name); }
  /// The session is not the one the names were prepared on (a pooler moved
  /// it): stop preparing and forget them all.
  void stop() noexcept {
    enabled_ = false;
    names_.clear();
  }

 private:
  bool enabled_ = false;
  std::unordered_set<std::string> names_;
};

}  // namespace bakewind::pg::detail
