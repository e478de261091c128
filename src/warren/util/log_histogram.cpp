#include "warren/util/log_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace warren::util {

size_t LogHistogram::index(uint64_t value) {
    if (value < kSub) return static_cast<size_t>(value);
    int e = 63 - std::countl_zero(value);
    size_t sub = static_cast<size_t>(value >> (e - kSubBits)) & (kSub - 1);
    return (static_cast<size_t>(e - kSubBits + 1) << kSubBits) + sub;
}

uint64_t LogHistogram::value_at(size_t i) {
    if (i < kSub) return i;
    int e = static_cast<int>(i >> kSubBits) + kSubBits - 1;
    uint64_t sub = i & (kSub - 1);
    uint64_t low = (kSub + sub) << (e - kSubBits);
    uint64_t width = uint64_t{1} << (e - kSubBits);
    return low + width / 2;
}

void LogHistogram::record(uint64_t value) {
    if (counts_.empty()) counts_.resize(kBuckets);
    ++counts_[index(value)];
    ++count_;
    max_ = std::max(max_, value);
}

void LogHistogram::merge(const LogHistogram& other) {
    if (other.counts_.empty()) return;
    if (counts_.empty()) counts_.resize(kBuckets);
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
}

uint64_t LogHistogram::percentile(double q) const {
    if (count_ == 0) return 0;
    // The rank of the q-quantile, 1-based: the smallest value with at least q of all at or
    // below it.
    auto rank = static_cast<uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) *
                                                static_cast<double>(count_)));
    rank = std::max<uint64_t>(rank, 1);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::min(value_at(i), max_);
    }
    return max_;
}

}  // namespace warren::util
