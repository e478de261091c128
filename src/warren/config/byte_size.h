#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace warren::config {

/// An amount of bytes as rabbitmq.conf writes one: "134217728", "50MB", "2GB", "512MiB",
/// "1.5GiB". Units (case-insensitive): B; kB, MB, GB, TB (powers of 1000); k, KiB, M, MiB,
/// G, GiB, T, TiB (powers of 1024). nullopt when the text is not such a size.
std::optional<uint64_t> parse_byte_size(std::string_view text);

/// A plain non-negative decimal ("0.4", "2", "1.5"): a ratio, as in
/// vm_memory_high_watermark.relative. nullopt otherwise.
std::optional<double> parse_ratio(std::string_view text);

/// A setting that is a size or a fraction of `total`: a unit-less decimal with a point
/// ("0.4", "1.5") is the fraction, as the config's .relative keys are kept; anything else
/// an absolute size. False when it is neither.
bool parse_size(const std::string& text, uint64_t total, uint64_t& out);
/// The same, throwing std::runtime_error naming the setting (`what`) when invalid.
uint64_t resolve_size(const std::string& text, uint64_t total, const char* what);
/// Physical memory of this machine.
uint64_t total_memory_bytes();

}  // namespace warren::config
