#pragma once
// Which slot a command goes to in a cluster: the slot its keys share. Which
// arguments are keys depends on the command (MGET: all; EVAL: numkeys of
// them; PING: none). Sans-I/O, tested without a server.

#include <span>
#include <string_view>

namespace bakewind::redis {

/// The slot every key of `args` (a whole command, name first) hashes to, or
/// any_slot (-1) for a command without keys. Throws server_error("CROSSSLOT
/// ...") when the keys hash to different slots: a bug in the key layout,
/// reported before anything is sent, as Redis Cluster itself would.
int slot_of_command(std::span<const std::string_view> args);

/// The slot all `keys` share, any_slot when there are none; throws
/// server_error("CROSSSLOT ...") as above.
int slot_of_keys(std::span<const std::string_view> keys);

}  // namespace bakewind::redis
