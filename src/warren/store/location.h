#pragma once

#include <cstdint>

namespace warren::store {

/// Where a record lives: segment number, byte offset of its header, and its whole size
/// (header included). Used by the message log and the page file alike.
struct Location {
    uint32_t segment = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
};

}  // namespace warren::store
