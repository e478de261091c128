#pragma once

#include "warren/util/byte_buffer.h"

#include <cstdint>
#include <cstring>
#include <string_view>

namespace warren::amqp {

class FieldTable;

struct MethodId {
    uint16_t class_id = 0;
    uint16_t method_id = 0;
    constexpr uint32_t packed() const { return (uint32_t{class_id} << 16) | method_id; }
    friend constexpr bool operator==(MethodId a, MethodId b) { return a.packed() == b.packed(); }
};

/// An encoded field table's contents (without its length prefix), decoded on demand.
struct RawTable {
    std::string_view bytes;
    bool empty() const { return bytes.empty(); }
};

/// Reads AMQP primitives (big-endian) from a byte range. Never throws: reading past the
/// end or a malformed value clears ok() and yields zero values from then on.
class Reader {
public:
    Reader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
    explicit Reader(std::string_view s)
        : Reader(reinterpret_cast<const uint8_t*>(s.data()), s.size()) {}

    bool ok() const { return ok_; }
    void fail() {
        ok_ = false;
        p_ = end_;
    }
    size_t remaining() const { return static_cast<size_t>(end_ - p_); }
    const uint8_t* position() const { return p_; }

    uint8_t u8() { return need(1) ? *p_++ : 0; }
    uint16_t u16() {
        if (!need(2)) return 0;
        uint16_t v = static_cast<uint16_t>((p_[0] << 8) | p_[1]);
        p_ += 2;
        return v;
    }
    uint32_t u32() {
        if (!need(4)) return 0;
        uint32_t v = (uint32_t{p_[0]} << 24) | (uint32_t{p_[1]} << 16) | (uint32_t{p_[2]} << 8) |
                     uint32_t{p_[3]};
        p_ += 4;
        return v;
    }
    uint64_t u64() {
        if (!need(8)) return 0;
        uint64_t hi = u32();
        return (hi << 32) | u32();
    }
    std::string_view bytes(size_t n) {
        if (!need(n)) return {};
        std::string_view s(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return s;
    }
    std::string_view shortstr() { return bytes(u8()); }
    std::string_view longstr() { return bytes(u32()); }
    RawTable raw_table() { return RawTable{longstr()}; }
    /// Decodes a field table into `out`; see field_table.cpp.
    void table(FieldTable& out);

private:
    bool need(size_t n) {
        if (static_cast<size_t>(end_ - p_) >= n) return true;
        fail();
        return false;
    }

    const uint8_t* p_;
    const uint8_t* end_;
    bool ok_ = true;
};

/// Appends AMQP primitives (big-endian) to a ByteBuffer.
class Writer {
public:
    explicit Writer(util::ByteBuffer& out) : out_(out) {}

    util::ByteBuffer& buffer() { return out_; }
    void u8(uint8_t v) { out_.push(v); }
    void u16(uint16_t v) {
        uint8_t* p = out_.prepare(2);
        p[0] = static_cast<uint8_t>(v >> 8);
        p[1] = static_cast<uint8_t>(v);
        out_.commit(2);
    }
    void u32(uint32_t v) {
        uint8_t* p = out_.prepare(4);
        p[0] = static_cast<uint8_t>(v >> 24);
        p[1] = static_cast<uint8_t>(v >> 16);
        p[2] = static_cast<uint8_t>(v >> 8);
        p[3] = static_cast<uint8_t>(v);
        out_.commit(4);
    }
    void u64(uint64_t v) {
        u32(static_cast<uint32_t>(v >> 32));
        u32(static_cast<uint32_t>(v));
    }
    void bytes(std::string_view s) { out_.append(s); }
    /// Short strings longer than 255 bytes are cut: callers validate lengths first.
    void shortstr(std::string_view s) {
        size_t n = s.size() > 255 ? 255 : s.size();
        u8(static_cast<uint8_t>(n));
        out_.append(s.data(), n);
    }
    void longstr(std::string_view s) {
        u32(static_cast<uint32_t>(s.size()));
        out_.append(s);
    }
    void raw_table(RawTable t) { longstr(t.bytes); }
    void table(const FieldTable& t);

private:
    util::ByteBuffer& out_;
};

}  // namespace warren::amqp
