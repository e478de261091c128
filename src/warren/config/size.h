#pragma once

#include <cstdint>
#include <string>

namespace warren::config {

/// RabbitMQ's size settings: "0.4" (a fraction of `total`), "1GB", "512MiB", "50000000".
/// False when the text is none of those.
bool parse_size(const std::string& text, uint64_t total, uint64_t& out);
/// The same, throwing std::runtime_error naming the setting (`what`) when invalid.
uint64_t resolve_size(const std::string& text, uint64_t total, const char* what);
/// Physical memory of this machine.
uint64_t total_memory_bytes();

}  // namespace warren::config
