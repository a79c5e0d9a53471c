#pragma once
// Redis Cluster's routing table without I/O: which master serves each of the
// 16384 slots, read from a CLUSTER SLOTS reply, and the MOVED / ASK
// redirections a node answers with. Plain functions over plain data, tested by
// feeding replies (STYLE.md, the Boost.Redis model).

#include "redis/key_slot.hpp"
#include "redis/reply.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::redis {

/// One cluster node's address, as CLUSTER SLOTS and redirections name it.
struct node_address {
  std::string host;
  std::uint16_t port = 0;

  bool operator==(const node_address&) const = default;
  /// "host:port": the node's name in logs, in connection::masters() and as a map key.
  std::string text() const { return host + ":" + std::to_string(port); }
};

/// The master serving each slot, and every node the cluster named (the
/// candidates to ask for the next map).
class slot_map {
 public:
  /// A map that routes nothing (no slot has a master).
  slot_map();

  /// Reads a CLUSTER SLOTS reply that `asked` gave. A node listed without a
  /// host ("" or nil: "the node you asked") takes `asked`'s host; a node whose
  /// address is unknown ("?") is skipped. nullopt when the reply is not a
  /// CLUSTER SLOTS answer at all.
  static std::optional<slot_map> from_cluster_slots(const reply& r, const node_address& asked);

  /// The master of `slot`, or nullptr when no node serves it.
  const node_address* master_of(std::uint16_t slot) const noexcept;

  /// The index in masters() of `slot`'s master, or -1 when no node serves it.
  int owner(std::uint16_t slot) const noexcept { return slot < slot_count ? owner_[slot] : -1; }

  /// Points `slot` at `node` (a MOVED said so), adding it as a master if new.
  void assign(std::uint16_t slot, const node_address& node);

  /// Every master, each once, in the order CLUSTER SLOTS first listed it.
  const std::vector<node_address>& masters() const noexcept { return masters_; }

  /// Every replica named, each once.
  const std::vector<node_address>& replicas() const noexcept { return replicas_; }

  /// How many slots have a master (16384 in a healthy cluster).
  std::size_t covered() const noexcept;

 private:
  std::size_t master_index(const node_address& node);

  std::vector<node_address> masters_;
  std::vector<node_address> replicas_;
  std::array<std::int16_t, slot_count> owner_;  ///< index into masters_; -1: none
};

/// A redirection out of an error reply.
struct redirect {
  enum class kind { moved, ask };
  kind type = kind::moved;
  std::uint16_t slot = 0;
  node_address to;
};

/// Reads "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>"; an empty
/// host means `from`'s (the node that answered). nullopt for any other text.
std::optional<redirect> parse_redirect(std::string_view error_text, const node_address& from);

}  // namespace bakewind::redis
