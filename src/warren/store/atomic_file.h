#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace warren::store {

enum class Sync { Yes, No };

/// Replaces `path` with `contents` so that a crash leaves either the old or the new file:
/// write a temporary beside it, fdatasync, rename over, fsync the directory. With
/// Sync::No (files that are checked on reading and can be rebuilt) nothing is synced, so a
/// crash may leave the new file incomplete.
std::error_code write_file_atomically(const std::string& path, std::string_view contents,
                                      Sync sync = Sync::Yes);
/// Reads a whole file; ENOENT when it does not exist.
std::error_code read_file(const std::string& path, std::string& out);

}  // namespace warren::store
