#pragma once
// Sentinel without I/O: what we send to a Sentinel and to the node it names,
// and how the answers read. Tested by feeding replies, no server.

#include "redis/options.hpp"
#include "redis/reply.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakewind::redis {

/// The channel on which Sentinels announce a completed failover.
inline constexpr std::string_view switch_master_channel = "+switch-master";

/// `data`'s connection settings for talking to the Sentinel at `where`: its
/// address, the Sentinel user and password, no database, each step bounded by
/// sentinel_timeout. TLS settings stay those of the data nodes.
options sentinel_options(const options& data, const server_address& where);

/// What one Sentinel said when asked for the master.
struct master_lookup {
  std::optional<server_address> address;  ///< set when it named the master
  std::string failure;                    ///< otherwise why not; "" when `address` is set
};

/// The commands of one lookup, encoded, for a connection made with
/// sentinel_options(): AUTH (with a Sentinel password), CLIENT SETNAME (with
/// a client name) and SENTINEL get-master-addr-by-name; and how many replies
/// they produce.
std::pair<std::string, std::size_t> lookup_commands(const options& sentinel);

/// Reads the replies to lookup_commands(sentinel), in order. Failures say
/// what went wrong without the server's text (which may echo a user name).
master_lookup read_lookup(const std::vector<reply>& replies, const options& sentinel);

/// The address in a reply to SENTINEL get-master-addr-by-name; nullopt for
/// nil (an unknown name) and anything malformed.
std::optional<server_address> parse_master_address(const reply& r);

/// The verdict on a ROLE reply: "" when the node is a master, else why it is
/// not to be written to ("ROLE is slave, not master"). A NOPERM error (an ACL
/// user without ROLE) cannot tell and is accepted: READONLY replies still
/// guard the writes.
std::string role_failure(const reply& r);

/// One +switch-master announcement.
struct master_switch {
  std::string name;      ///< the master's name in the Sentinels
  server_address from;   ///< the old master
  server_address to;     ///< the new one
};

/// Parses a +switch-master message ("<name> <old ip> <old port> <new ip>
/// <new port>"); nullopt when it is malformed.
std::optional<master_switch> parse_switch_master(std::string_view message);

}  // namespace bakewind::redis
