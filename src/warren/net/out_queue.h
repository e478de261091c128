#pragma once

#include "warren/util/byte_buffer.h"
#include "warren/util/shared_bytes.h"

#include <cstddef>
#include <cstdint>
#include <deque>

namespace warren::net {

/// Bytes waiting to go out on one socket. Small writes (frame headers, methods, small
/// bodies) are encoded straight into an arena; large bodies are referenced, not copied.
/// flush() sends everything with as few writev calls as the kernel allows.
class OutQueue {
public:
    /// Bodies at least this large are referenced instead of copied into the arena.
    static constexpr size_t kReferenceThreshold = 2048;

    /// The arena to encode into; call commit_arena(mark) afterwards, with
    /// mark = arena().size() taken before encoding.
    util::ByteBuffer& arena() { return arena_; }
    void commit_arena(size_t mark);

    /// Queues `len` bytes at `p` inside `owner` (copied if small).
    void append_shared(const util::SharedBytes& owner, const uint8_t* p, size_t len);

    size_t size() const { return bytes_; }
    bool empty() const { return bytes_ == 0; }

    /// Writes as much as the socket takes. Returns false on a socket error.
    bool flush(int fd);

    /// Copies up to `max` bytes from the front into `dst` without consuming them, for a
    /// transport that cannot writev (TLS encrypts from a copy). Returns the count.
    size_t peek(uint8_t* dst, size_t max) const;
    /// Drops `n` bytes (at most size()) from the front, as a successful write does.
    void consume(size_t n);

    /// Frees the arena after a burst so idle connections stay small.
    void trim();

private:
    struct Segment {
        size_t offset;          // into the arena, when `ref` is empty
        const uint8_t* ptr;     // into `ref`, otherwise
        size_t len;
        util::SharedBytes ref;
    };

    util::ByteBuffer arena_;
    std::deque<Segment> segments_;
    size_t head_written_ = 0;  // bytes of segments_.front() already sent
    size_t bytes_ = 0;
};

}  // namespace warren::net
