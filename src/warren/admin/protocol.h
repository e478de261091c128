#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace warren::admin {

/// The control channel between warrenctl and the broker: a Unix socket in the data
/// directory, owner-only (mode 0600, peer uid checked with SO_PEERCRED), carrying one JSON
/// object per line each way. A request is {"command": NAME, ...arguments}; a reply is
/// {"ok": true, ...results} or {"ok": false, "exit_code": N, "error": TEXT} ("bare": true when
/// rabbitmqctl prints the text without "Error:"; "refused": true when the socket refused
/// the peer).
inline constexpr std::string_view kSocketName = "warren.sock";
/// Longest request line the broker reads (import_definitions carries whole files).
inline constexpr size_t kMaxRequestBytes = 64 * 1024 * 1024;

/// rabbitmqctl's exit codes (sysexits.h).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;        // EX_USAGE: bad command or arguments
inline constexpr int kExitDataErr = 65;      // EX_DATAERR: bad input, failed authentication
inline constexpr int kExitNoUser = 67;       // EX_NOUSER: no such user
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: node down, or the operation failed
inline constexpr int kExitSoftware = 70;     // EX_SOFTWARE: e.g. user already exists

/// <data dir>/warren.sock
std::string socket_path(std::string_view data_dir);
/// The name warrenctl and the broker give this node in messages: "warren@<short hostname>",
/// the shape of RabbitMQ's rabbit@<host>.
std::string local_node_name();

}  // namespace warren::admin
