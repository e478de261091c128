#include "warren/amqp/frame.h"

namespace warren::amqp {

FrameStatus parse_frame(const uint8_t* data, size_t size, uint32_t frame_max, Frame& frame,
                        size_t& consumed) {
    if (size < kFrameHeaderSize) return FrameStatus::NeedMore;
    uint32_t payload_size = (uint32_t{data[3]} << 24) | (uint32_t{data[4]} << 16) |
                            (uint32_t{data[5]} << 8) | uint32_t{data[6]};
    uint64_t total = uint64_t{payload_size} + kFrameOverhead;
    frame.type = data[0];
    frame.channel = static_cast<uint16_t>((data[1] << 8) | data[2]);
    frame.payload_size = payload_size;
    if (frame_max != 0 && total > frame_max) return FrameStatus::TooLarge;
    if (size < total) return FrameStatus::NeedMore;
    frame.payload = std::string_view(reinterpret_cast<const char*>(data + kFrameHeaderSize),
                                     payload_size);
    frame.end = data[total - 1];
    if (frame.end != kFrameEnd) return FrameStatus::BadFrameEnd;
    consumed = static_cast<size_t>(total);
    return FrameStatus::Ok;
}

void begin_frame(util::ByteBuffer& out, FrameType type, uint16_t channel, size_t& size_at) {
    Writer w(out);
    w.u8(static_cast<uint8_t>(type));
    w.u16(channel);
    size_at = out.size();
    w.u32(0);
}

void end_frame(util::ByteBuffer& out, size_t size_at) {
    uint32_t n = static_cast<uint32_t>(out.size() - size_at - 4);
    uint8_t be[4] = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                     static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
    out.patch(size_at, be, 4);
    out.push(kFrameEnd);
}

void write_header_frame(util::ByteBuffer& out, uint16_t channel, uint64_t body_size,
                        std::string_view encoded_properties) {
    size_t size_at = 0;
    begin_frame(out, FrameType::Header, channel, size_at);
    Writer w(out);
    w.u16(60);
    w.u16(0);
    w.u64(body_size);
    w.bytes(encoded_properties);
    end_frame(out, size_at);
}

void write_heartbeat_frame(util::ByteBuffer& out) {
    static constexpr uint8_t kHeartbeat[] = {8, 0, 0, 0, 0, 0, 0, kFrameEnd};
    out.append(kHeartbeat, sizeof kHeartbeat);
}

}  // namespace warren::amqp

namespace warren::amqp {

std::string erlang_binary(std::string_view bytes) {
    bool printable = !bytes.empty();
    for (char c : bytes) printable = printable && c >= 32 && c <= 126;
    std::string out = "<<";
    if (printable) {
        out += '"';
        for (char c : bytes) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    } else {
        for (size_t i = 0; i < bytes.size(); ++i) {
            if (i) out += ',';
            out += std::to_string(static_cast<uint8_t>(bytes[i]));
        }
    }
    return out + ">>";
}

}  // namespace warren::amqp
