#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace warren::util {

/// The named logger of one area ("conn", "broker", "store"...), created on first use so
/// levels can be set per area (STYLE.md §6).
spdlog::logger& logger(const char* area);
/// Sets the level of every area; false if `level` is not a known name.
bool set_log_level(std::string_view level);

}  // namespace warren::util
