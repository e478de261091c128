#pragma once

#include <cstddef>
#include <cstdint>

namespace warren::util {

/// CRC-32C (Castagnoli), the checksum of every store record. Uses SSE4.2 where the CPU
/// has it.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
/// The table-driven fallback, exposed so tests can check both give the same sums.
uint32_t crc32c_portable(const void* data, size_t size, uint32_t crc = 0);

}  // namespace warren::util
