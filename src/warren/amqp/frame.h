#pragma once

#include "warren/amqp/codec.h"
#include "warren/amqp/methods.h"
#include "warren/util/byte_buffer.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace warren::amqp {

inline constexpr size_t kFrameHeaderSize = 7;  // type, channel, payload size
inline constexpr size_t kFrameOverhead = 8;    // header plus frame-end octet

/// "AMQP" 0 0 9 1: the only protocol header Warren speaks (AMQP 0-9-1 §4.2.2).
inline constexpr std::string_view kProtocolHeader{"AMQP\x00\x00\x09\x01", 8};

struct Frame {
    uint8_t type = 0;
    uint16_t channel = 0;
    uint32_t payload_size = 0;  // as announced, also when the frame is refused
    uint8_t end = 0;            // the frame-end octet received
    std::string_view payload;
};

enum class FrameStatus : uint8_t { Ok, NeedMore, BadFrameEnd, TooLarge };

/// Parses one frame from the front of `data`. On Ok, `frame` views `data` and `consumed`
/// is the frame's full length. `frame_max` bounds the whole frame, as negotiated.
/// On TooLarge, `frame` has the type, channel and payload_size; on BadFrameEnd, also the
/// payload and the bad octet.
FrameStatus parse_frame(const uint8_t* data, size_t size, uint32_t frame_max, Frame& frame,
                        size_t& consumed);

/// Writes a method frame: header, the method's encoding, frame-end.
template <class M>
void write_method_frame(util::ByteBuffer& out, uint16_t channel, const M& method);
void begin_frame(util::ByteBuffer& out, FrameType type, uint16_t channel, size_t& size_at);
void end_frame(util::ByteBuffer& out, size_t size_at);

/// Writes a content header frame for class basic with already-encoded properties
/// (flags included), so a message's properties travel without re-encoding.
void write_header_frame(util::ByteBuffer& out, uint16_t channel, uint64_t body_size,
                        std::string_view encoded_properties);
void write_heartbeat_frame(util::ByteBuffer& out);

/// Bytes as Erlang prints a binary (<<"abc">> or <<0,20,0>>): RabbitMQ's error texts
/// quote frame octets this way.
std::string erlang_binary(std::string_view bytes);

template <class M>
void write_method_frame(util::ByteBuffer& out, uint16_t channel, const M& method) {
    size_t size_at = 0;
    begin_frame(out, FrameType::Method, channel, size_at);
    Writer w(out);
    method.encode(w);
    end_frame(out, size_at);
}

}  // namespace warren::amqp
