#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace warren::util {

/// Counts of non-negative integers (durations, usually µs) in log-linear buckets: 16 per
/// power of two, so a percentile is exact below 16 and otherwise within 1/32 of the value.
/// The buckets are allocated on the first record(), so an unused histogram costs a vector.
/// Not thread-safe: one owner records and reads.
class LogHistogram {
public:
    static constexpr int kSubBits = 4;
    static constexpr size_t kSub = size_t{1} << kSubBits;
    static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

    void record(uint64_t value);
    /// Adds `other`'s counts into this one.
    void merge(const LogHistogram& other);

    uint64_t count() const { return count_; }
    uint64_t max() const { return max_; }
    /// The value at quantile `q` (0..1): the middle of its bucket, at most max(); 0 if empty.
    uint64_t percentile(double q) const;

    static size_t index(uint64_t value);
    /// The middle of bucket `i`'s range.
    static uint64_t value_at(size_t i);

private:
    std::vector<uint64_t> counts_;
    uint64_t count_ = 0;
    uint64_t max_ = 0;
};

}  // namespace warren::util
