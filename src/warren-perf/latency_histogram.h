#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace warren::perf {

/// Counts per bucket, merged from one or more histograms; percentiles are read from here.
struct LatencySnapshot {
    std::vector<uint64_t> counts;
    uint64_t total = 0;
    uint64_t max_ns = 0;

    /// The value at quantile `q` (0..1), in nanoseconds; 0 when empty.
    uint64_t percentile_ns(double q) const;
    /// this -= earlier (for the latency of one report interval; max is not kept).
    void subtract(const LatencySnapshot& earlier);
};

/// Log-linear latency histogram in nanoseconds: 64 sub-buckets per power of two, so a value
/// is reported within 1.6 %. One thread records (relaxed loads and stores, no locked
/// instructions on the hot path); the reporter thread reads it concurrently.
class LatencyHistogram {
public:
    static constexpr int kSubBits = 6;
    static constexpr size_t kSub = size_t{1} << kSubBits;
    static constexpr size_t kBuckets = (64 - kSubBits + 1) * kSub;

    LatencyHistogram() : counts_(kBuckets) {}

    void record(uint64_t ns) {
        auto& c = counts_[index(ns)];
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        if (ns > max_ns_.load(std::memory_order_relaxed)) {
            max_ns_.store(ns, std::memory_order_relaxed);
        }
    }

    /// Adds this histogram's counts into `out` (sized on first use).
    void add_to(LatencySnapshot& out) const;

    static size_t index(uint64_t v) {
        if (v < kSub) return static_cast<size_t>(v);
        int e = 63 - std::countl_zero(v);
        size_t sub = static_cast<size_t>(v >> (e - kSubBits)) & (kSub - 1);
        return (static_cast<size_t>(e - kSubBits + 1) << kSubBits) + sub;
    }
    /// The middle of bucket `i`'s range.
    static uint64_t value_at(size_t i);

private:
    std::vector<std::atomic<uint64_t>> counts_;
    std::atomic<uint64_t> max_ns_{0};
};

}  // namespace warren::perf
