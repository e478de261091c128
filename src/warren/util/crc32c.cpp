#include "warren/util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace warren::util {
namespace {

constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
        for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    return t;
}

constexpr auto kTables = make_tables();

}  // namespace

uint32_t crc32c_portable(const void* data, size_t size, uint32_t crc) {
    const auto* p = static_cast<const uint8_t*>(data);
    crc = ~crc;
    // Slicing-by-8: eight table lookups per 8 bytes.
    while (size >= 8) {
        uint32_t lo = crc ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                             uint32_t{p[3]} << 24);
        crc = kTables[7][lo & 0xFF] ^ kTables[6][(lo >> 8) & 0xFF] ^
              kTables[5][(lo >> 16) & 0xFF] ^ kTables[4][lo >> 24] ^ kTables[3][p[4]] ^
              kTables[2][p[5]] ^ kTables[1][p[6]] ^ kTables[0][p[7]];
        p += 8;
        size -= 8;
    }
    while (size--) crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

#if defined(__x86_64__)
namespace {

// SSE4.2's crc32 instruction computes CRC-32C 8 bytes at a time: recovery checks every
// record of every segment, so this bounds start-up time on a large backlog.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const uint8_t* p, size_t size,
                                                          uint32_t crc) {
    uint64_t c = ~crc;
    while (size >= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        size -= 8;
    }
    auto c32 = static_cast<uint32_t>(c);
    while (size--) c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}

const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");

}  // namespace
#endif

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
#if defined(__x86_64__)
    if (kHaveSse42) return crc32c_sse42(static_cast<const uint8_t*>(data), size, crc);
#endif
    return crc32c_portable(data, size, crc);
}

}  // namespace warren::util
