#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace warren::perf {

/// What every publish of one producer looks like.
struct PublishSpec {
    uint16_t channel = 1;
    std::string exchange;
    std::string routing_key;
    bool mandatory = false;
    bool persistent = false;
    uint32_t body_size = 12;
    bool delayed = false;  // an x-delay header, patched per message by stamp_delay()
};

/// Bodies carry their send time (CLOCK_MONOTONIC ns, host byte order) in bytes 0..7 and this
/// marker in bytes 8..11, when they are that large.
inline constexpr size_t kSendTimeBytes = 8;
inline constexpr char kBodyMarker[4] = {'W', 'P', 'R', 'F'};
inline constexpr size_t kMarkedBodyBytes = kSendTimeBytes + sizeof kBodyMarker;
/// Delayed publishes (--delay-lead) carry their due time instead (CLOCK_REALTIME ns, as the
/// broker's x-delay counts in wall-clock ms) and this marker.
inline constexpr char kDelayedBodyMarker[4] = {'W', 'D', 'L', 'Y'};

/// Identical publishes (basic.publish, content header, body frames) laid out back to back, so
/// n messages leave in one write of n * stride() bytes and only the send time in each body
/// is patched per batch. Built once per producer: no per-message encoding or allocation.
class PublishBatch {
public:
    PublishBatch(const PublishSpec& spec, uint32_t frame_max, size_t target_bytes);

    /// Messages the buffer holds (at least 1).
    size_t capacity() const { return capacity_; }
    size_t stride() const { return stride_; }
    const uint8_t* data() const { return buf_.data(); }
    /// Writes `send_ns` into the first `n` bodies (a no-op for bodies under 8 bytes).
    void stamp(size_t n, int64_t send_ns);
    /// Delayed publishes: message `i` gets x-delay `delay_ms` and due time `due_wall_ns`.
    void stamp_delay(size_t i, int64_t delay_ms, int64_t due_wall_ns);

private:
    std::vector<uint8_t> buf_;
    size_t stride_ = 0;
    size_t capacity_ = 0;
    size_t body_offset_ = 0;  // of the first body byte within a message
    size_t delay_offset_ = 0;  // of the x-delay value (int64, big-endian) within a message
    bool carries_time_ = false;
};

}  // namespace warren::perf
