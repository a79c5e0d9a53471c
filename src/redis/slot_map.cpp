#include "redis/slot_map.hpp"

#include <algorithm>
#include <charconv>

namespace bakewind::redis {

namespace {

// A node entry of CLUSTER SLOTS: [host, port, id, metadata...]. nullopt when
// malformed or when the node's address is unknown to the cluster ("?").
std::optional<node_address> node_of(const reply& entry, const node_address& asked) {
  if (entry.type != reply::kind::array || entry.elements.size() < 2) return std::nullopt;
  const auto& host = entry.elements[0];
  const auto& port = entry.elements[1];
  if (port.type != reply::kind::integer || port.integer <= 0 || port.integer > 65535) return std::nullopt;
  node_address out;
  out.port = static_cast<std::uint16_t>(port.integer);
  if (host.is_nil() || (host.type == reply::kind::string && host.text.empty())) {
    out.host = asked.host;  // "the node that answered"
  } else if (host.type == reply::kind::string && host.text != "?") {
    out.host = host.text;
  } else {
    return std::nullopt;
  }
  return out;
}

void add_once(std::vector<node_address>& list, const node_address& node) {
  if (std::find(list.begin(), list.end(), node) == list.end()) list.push_back(node);
}

}  // namespace

slot_map::slot_map() {
  owner_.fill(-1);
}

std::optional<slot_map> slot_map::from_cluster_slots(const reply& r, const node_address& asked) {
  if (r.type != reply::kind::array) return std::nullopt;
  slot_map map;
  for (const auto& range : r.elements) {
    if (range.type != reply::kind::array || range.elements.size() < 3) return std::nullopt;
    const auto& first = range.elements[0];
    const auto& last = range.elements[1];
    if (first.type != reply::kind::integer || last.type != reply::kind::integer || first.integer < 0 ||
        last.integer >= slot_count || first.integer > last.integer) {
      return std::nullopt;
    }
    const auto master = node_of(range.elements[2], asked);
    for (std::size_t i = 3; i < range.elements.size(); ++i) {
      if (const auto replica = node_of(range.elements[i], asked)) add_once(map.replicas_, *replica);
    }
    if (!master) continue;  // its slots stay unrouted until the cluster knows the address
    const auto index = static_cast<std::int16_t>(map.master_index(*master));
    for (long long s = first.integer; s <= last.integer; ++s) map.owner_[static_cast<std::size_t>(s)] = index;
  }
  // A node is never both: after a failover the old master may be listed as a
  // replica of the new one, and that is what it is now.
  std::erase_if(map.replicas_, [&](const node_address& n) {
    return std::find(map.masters_.begin(), map.masters_.end(), n) != map.masters_.end();
  });
  return map;
}

std::size_t slot_map::master_index(const node_address& node) {
  const auto it = std::find(masters_.begin(), masters_.end(), node);
  if (it != masters_.end()) return static_cast<std::size_t>(it - masters_.begin());
  masters_.push_back(node);
  return masters_.size() - 1;
}

const node_address* slot_map::master_of(std::uint16_t slot) const noexcept {
  if (slot >= slot_count) return nullptr;
  const auto index = owner_[slot];
  return index < 0 ? nullptr : &masters_[static_cast<std::size_t>(index)];
}

void slot_map::assign(std::uint16_t slot, const node_address& node) {
  if (slot >= slot_count) return;
  owner_[slot] = static_cast<std::int16_t>(master_index(node));
  std::erase(replicas_, node);
}

std::size_t slot_map::covered() const noexcept {
  return static_cast<std::size_t>(std::count_if(owner_.begin(), owner_.end(), [](std::int16_t i) { return i >= 0; }));
}

std::optional<redirect> parse_redirect(std::string_view text, const node_address& from) {
  redirect out;
  if (text.starts_with("MOVED ")) {
    out.type = redirect::kind::moved;
    text.remove_prefix(6);
  } else if (text.starts_with("ASK ")) {
    out.type = redirect::kind::ask;
    text.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  unsigned slot = 0;
  const auto slot_text = text.substr(0, space);
  const auto [slot_end, slot_ec] = std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
  if (slot_ec != std::errc{} || slot_end != slot_text.data() + slot_text.size() || slot >= slot_count) {
    return std::nullopt;
  }
  out.slot = static_cast<std::uint16_t>(slot);
  // host:port, where the host may hold colons itself (IPv6): split at the last.
  const auto endpoint = text.substr(space + 1);
  const auto colon = endpoint.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  unsigned port = 0;
  const auto port_text = endpoint.substr(colon + 1);
  const auto [port_end, port_ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_ec != std::errc{} || port_end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    return std::nullopt;
  }
  out.to.port = static_cast<std::uint16_t>(port);
  out.to.host = colon == 0 ? from.host : std::string(endpoint.substr(0, colon));
  return out;
}

}  // namespace bakewind::redis
