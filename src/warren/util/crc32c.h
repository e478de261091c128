#pragma once

#include <cstddef>
#include <cstdint>

namespace warren::util {

/// CRC-32C (Castagnoli), the checksum of every store record.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace warren::util
