// Feeds arbitrary bytes through the frame parser and, frame by frame, the method and
// content-header decoders, as a connection's read path does. Decoded methods are
// re-encoded and decoded again: both passes must agree.
#include "warren/amqp/frame.h"
#include "warren/amqp/methods.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

namespace {

using namespace warren;

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "frame_fuzz: %s\n", why);
    std::abort();
}

std::string encoded(const auto& m) {
    util::ByteBuffer buf;
    amqp::Writer w(buf);
    m.encode(w);
    return std::string(reinterpret_cast<const char*>(buf.data()), buf.size());
}

void check_method(std::string_view payload) {
    amqp::Reader r(payload);
    amqp::MethodId id{r.u16(), r.u16()};
    if (!r.ok()) return;
    amqp::dispatch_method(id, r, [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if (!(M::kId == id)) fail("dispatched to the wrong method");
        if (amqp::method_name(id) != M::kName) fail("method_name disagrees with dispatch");
        // Whatever decoded must re-encode to bytes that decode to the same encoding.
        std::string once = encoded(m);
        amqp::Reader again(once);
        if (again.u16() != id.class_id || again.u16() != id.method_id) fail("ids changed");
        M back;
        if (!back.decode(again) || again.remaining() != 0) fail("re-encoded method rejected");
        if (encoded(back) != once) fail("method re-encoding is not stable");
    });
}

void check_header(std::string_view payload) {
    amqp::Reader r(payload);
    uint16_t class_id = r.u16();
    r.u16();  // weight
    r.u64();  // body size
    if (!r.ok() || class_id != 60) return;
    amqp::BasicProperties props;
    if (!props.decode(r)) return;
    util::ByteBuffer buf;
    amqp::Writer w(buf);
    props.encode(w);
    amqp::Reader again(buf.data(), buf.size());
    amqp::BasicProperties back;
    if (!back.decode(again)) fail("re-encoded properties rejected");
    if (back.flags != props.flags) fail("property flags changed");
    if (props.has(amqp::BasicProperties::kHeaders)) {
        amqp::FieldTable headers;
        amqp::decode_table(props.headers.bytes, headers);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Warren's default frame_max, as on a connection tuned with the defaults.
    constexpr uint32_t frame_max = 131072;
    // A client may or may not start with the protocol header.
    if (size >= amqp::kProtocolHeader.size() &&
        std::memcmp(data, amqp::kProtocolHeader.data(), amqp::kProtocolHeader.size()) == 0) {
        data += amqp::kProtocolHeader.size();
        size -= amqp::kProtocolHeader.size();
    }
    while (size > 0) {
        amqp::Frame frame;
        size_t consumed = 0;
        auto status = amqp::parse_frame(data, size, frame_max, frame, consumed);
        if (status != amqp::FrameStatus::Ok) break;
        if (consumed < amqp::kFrameOverhead || consumed > size) fail("bad consumed count");
        if (frame.payload.size() + amqp::kFrameOverhead != consumed) fail("payload size");
        if (consumed > frame_max) fail("frame above frame_max accepted");
        switch (frame.type) {
        case static_cast<uint8_t>(amqp::FrameType::Method): check_method(frame.payload); break;
        case static_cast<uint8_t>(amqp::FrameType::Header): check_header(frame.payload); break;
        default: break;
        }
        data += consumed;
        size -= consumed;
    }
    return 0;
}
