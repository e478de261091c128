#pragma once

#include <time.h>

#include <cstdint>

namespace warren::perf {

inline constexpr int64_t kNsPerSec = 1'000'000'000;
inline constexpr int64_t kNsPerMs = 1'000'000;

/// CLOCK_MONOTONIC in nanoseconds: one clock for the whole host, so a send time written into
/// a body by one process is comparable with the receive time in another.
inline int64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * kNsPerSec + ts.tv_nsec;
}

/// CLOCK_REALTIME in nanoseconds: what the broker's x-delay due times count in.
inline int64_t wall_now_ns() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * kNsPerSec + ts.tv_nsec;
}

inline int64_t seconds_to_ns(double s) { return static_cast<int64_t>(s * 1e9); }

}  // namespace warren::perf
