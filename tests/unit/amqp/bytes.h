#pragma once

#include "warren/util/byte_buffer.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace warren::test {

/// Bytes written out one by one, so golden encodings read like the spec's tables.
inline std::string bytes(std::initializer_list<int> octets) {
    std::string out;
    for (int b : octets) out.push_back(static_cast<char>(static_cast<uint8_t>(b)));
    return out;
}

inline std::string_view view(const util::ByteBuffer& buf) {
    return {reinterpret_cast<const char*>(buf.data()), buf.size()};
}

/// "00 3c 00 28" for failure messages.
inline std::string hex(std::string_view s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (!out.empty()) out.push_back(' ');
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 15]);
    }
    return out;
}

}  // namespace warren::test
