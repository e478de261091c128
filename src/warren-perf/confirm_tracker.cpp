#include "warren-perf/confirm_tracker.h"

#include <algorithm>
#include <bit>

namespace warren::perf {

ConfirmTracker::ConfirmTracker(uint32_t window) : window_(window) {
    uint64_t ring = std::bit_ceil(std::max<uint64_t>(uint64_t{window} * 2, 64));
    mask_ = ring - 1;
    marks_.assign(ring, 0);
}

uint64_t ConfirmTracker::room() const {
    uint64_t by_window = outstanding() >= window_ ? 0 : window_ - outstanding();
    // Tags still unsettled below the newest must fit in the ring too.
    uint64_t span = next_tag_ - lowest_;
    uint64_t by_ring = span >= marks_.size() ? 0 : marks_.size() - span;
    return std::min(by_window, by_ring);
}

uint64_t ConfirmTracker::settle(uint64_t tag, bool multiple) {
    if (tag < lowest_ || tag >= next_tag_) return 0;  // already settled, or not ours
    uint64_t count = 0;
    if (multiple) {
        for (uint64_t t = lowest_; t <= tag; ++t) {
            if (is_marked(t)) {
                marks_[t & mask_] = 0;
            } else {
                ++count;
            }
        }
        lowest_ = tag + 1;
    } else if (tag == lowest_) {
        count = 1;
        ++lowest_;
    } else {
        if (is_marked(tag)) return 0;
        marks_[tag & mask_] = 1;
        count = 1;
    }
    while (lowest_ < next_tag_ && is_marked(lowest_)) {
        marks_[lowest_ & mask_] = 0;
        ++lowest_;
    }
    settled_ += count;
    return count;
}

}  // namespace warren::perf
