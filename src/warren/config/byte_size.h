#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace warren::config {

/// An amount of bytes as rabbitmq.conf writes one: "134217728", "50MB", "2GB", "512MiB",
/// "1.5GiB". Units (case-insensitive): B; kB, MB, GB, TB (powers of 1000); k, KiB, M, MiB,
/// G, GiB, T, TiB (powers of 1024). nullopt when the text is not such a size.
std::optional<uint64_t> parse_byte_size(std::string_view text);

/// A plain non-negative decimal ("0.4", "2", "1.5"): a ratio, as in
/// vm_memory_high_watermark.relative. nullopt otherwise.
std::optional<double> parse_ratio(std::string_view text);

}  // namespace warren::config
