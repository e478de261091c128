#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace warren::util {

/// A growable contiguous byte buffer with a read cursor. Unlike std::vector it never
/// zero-fills what it reserves, and consume() is O(1): data before the cursor is
/// reclaimed lazily by compact().
class ByteBuffer {
public:
    ByteBuffer() = default;
    explicit ByteBuffer(size_t capacity) { grow(capacity); }
    ByteBuffer(ByteBuffer&&) noexcept = default;
    ByteBuffer& operator=(ByteBuffer&&) noexcept = default;

    const uint8_t* data() const { return data_.get() + begin_; }
    uint8_t* data() { return data_.get() + begin_; }
    size_t size() const { return end_ - begin_; }
    bool empty() const { return end_ == begin_; }
    size_t capacity() const { return cap_; }

    /// Makes room for `n` more bytes at the end and returns where they go.
    uint8_t* prepare(size_t n) {
        if (cap_ - end_ < n) grow(n);
        return data_.get() + end_;
    }
    void commit(size_t n) { end_ += n; }

    void append(const void* p, size_t n) {
        if (n == 0) return;  // p may be null for empty views
        std::memcpy(prepare(n), p, n);
        end_ += n;
    }
    void append(std::string_view s) { append(s.data(), s.size()); }
    void push(uint8_t b) {
        *prepare(1) = b;
        ++end_;
    }

    /// Drops `n` bytes from the front.
    void consume(size_t n) {
        begin_ += n;
        if (begin_ == end_) begin_ = end_ = 0;
    }
    void clear() { begin_ = end_ = 0; }

    /// Writes at an absolute offset from data() (for patching frame sizes).
    void patch(size_t offset, const void* p, size_t n) { std::memcpy(data() + offset, p, n); }

    /// Releases memory when the buffer is empty and larger than `keep` bytes, so an idle
    /// connection does not hold the peak of a burst.
    void shrink_if_idle(size_t keep) {
        if (empty() && cap_ > keep) {
            data_.reset();
            cap_ = begin_ = end_ = 0;
        }
    }

private:
    void grow(size_t n);

    std::unique_ptr<uint8_t[]> data_;
    size_t cap_ = 0;
    size_t begin_ = 0;
    size_t end_ = 0;
};

}  // namespace warren::util
