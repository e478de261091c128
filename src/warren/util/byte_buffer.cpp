#include "warren/util/byte_buffer.h"

#include <algorithm>

namespace warren::util {

void ByteBuffer::grow(size_t n) {
    size_t live = end_ - begin_;
    // Reuse the space before the cursor when that alone makes room.
    if (begin_ > 0 && cap_ - live >= n && live <= cap_ / 2) {
        std::memmove(data_.get(), data_.get() + begin_, live);
        begin_ = 0;
        end_ = live;
        return;
    }
    size_t want = std::max({cap_ * 2, live + n, size_t{256}});
    auto fresh = std::unique_ptr<uint8_t[]>(new uint8_t[want]);
    if (live) std::memcpy(fresh.get(), data_.get() + begin_, live);
    data_ = std::move(fresh);
    cap_ = want;
    begin_ = 0;
    end_ = live;
}

}  // namespace warren::util
