#pragma once
// Redis Cluster's key -> slot mapping: CRC16 (XMODEM) of the key, or of its
// hash tag (the text between the first `{` and the next `}` when that is not
// empty), modulo 16384. Keys that must meet in one script or MGET share a
// hash tag, and so a slot.

#include <cstdint>
#include <string>
#include <string_view>

namespace bakewind::redis {

inline constexpr std::uint16_t slot_count = 16384;

/// CRC16-XMODEM (polynomial 0x1021, initial value 0), as Redis Cluster uses.
std::uint16_t crc16(std::string_view data) noexcept;

/// The slot of `key`, honouring a hash tag.
std::uint16_t key_slot(std::string_view key) noexcept;

/// A short tag `t` such that any key containing `{t}` (as its first hash
/// tag) lands in `slot`: how a per-slot key (a marker that must live beside
/// the keys it vouches for) is named.
const std::string& tag_for_slot(std::uint16_t slot);

}  // namespace bakewind::redis
