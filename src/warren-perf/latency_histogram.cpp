#include "warren-perf/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace warren::perf {

uint64_t LatencyHistogram::value_at(size_t i) {
    if (i < kSub) return i;
    int e = static_cast<int>(i >> kSubBits) + kSubBits - 1;
    uint64_t sub = i & (kSub - 1);
    uint64_t width = uint64_t{1} << (e - kSubBits);
    return ((kSub + sub) << (e - kSubBits)) + width / 2;
}

void LatencyHistogram::add_to(LatencySnapshot& out) const {
    if (out.counts.size() != kBuckets) out.counts.assign(kBuckets, 0);
    for (size_t i = 0; i < kBuckets; ++i) {
        uint64_t n = counts_[i].load(std::memory_order_relaxed);
        out.counts[i] += n;
        out.total += n;
    }
    out.max_ns = std::max(out.max_ns, max_ns_.load(std::memory_order_relaxed));
}

uint64_t LatencySnapshot::percentile_ns(double q) const {
    if (total == 0) return 0;
    auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
    rank = std::clamp<uint64_t>(rank, 1, total);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        seen += counts[i];
        if (seen >= rank) {
            uint64_t v = LatencyHistogram::value_at(i);
            return max_ns != 0 ? std::min(v, max_ns) : v;
        }
    }
    return max_ns;
}

void LatencySnapshot::subtract(const LatencySnapshot& earlier) {
    if (earlier.counts.size() != counts.size()) return;
    total = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        counts[i] -= earlier.counts[i];
        total += counts[i];
    }
    max_ns = 0;
}

}  // namespace warren::perf
