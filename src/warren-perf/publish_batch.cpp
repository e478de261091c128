#include "warren-perf/publish_batch.h"

#include "warren/amqp/frame.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace warren::perf {

PublishBatch::PublishBatch(const PublishSpec& spec, uint32_t frame_max, size_t target_bytes) {
    util::ByteBuffer one;
    amqp::BasicPublish publish;
    publish.exchange = spec.exchange;
    publish.routing_key = spec.routing_key;
    publish.mandatory = spec.mandatory;
    amqp::write_method_frame(one, spec.channel, publish);

    util::ByteBuffer props;
    amqp::Writer pw(props);
    amqp::BasicProperties properties;
    if (spec.persistent) {
        properties.flags = amqp::BasicProperties::kDeliveryMode;
        properties.delivery_mode = 2;
    }
    util::ByteBuffer headers;
    if (spec.delayed) {
        // {"x-delay": int64 0}, its value patched per message.
        amqp::Writer hw(headers);
        hw.shortstr("x-delay");
        hw.u8('l');
        hw.u64(0);
        properties.flags |= amqp::BasicProperties::kHeaders;
        properties.headers = amqp::RawTable{
            std::string_view(reinterpret_cast<const char*>(headers.data()), headers.size())};
    }
    properties.encode(pw);
    size_t props_at = one.size() + amqp::kFrameHeaderSize + 12;  // class, weight, body size
    amqp::write_header_frame(
        one, spec.channel, spec.body_size,
        std::string_view(reinterpret_cast<const char*>(props.data()), props.size()));
    if (spec.delayed) {
        std::string_view encoded(reinterpret_cast<const char*>(props.data()), props.size());
        std::string_view entry(reinterpret_cast<const char*>(headers.data()), headers.size() - 8);
        delay_offset_ = props_at + encoded.find(entry) + entry.size();
    }

    std::vector<uint8_t> body(spec.body_size, 0);
    carries_time_ = body.size() >= kSendTimeBytes && !spec.delayed;
    if (body.size() >= kMarkedBodyBytes) {
        std::memcpy(body.data() + kSendTimeBytes, spec.delayed ? kDelayedBodyMarker : kBodyMarker,
                    sizeof kBodyMarker);
    }
    size_t max_chunk = std::max<size_t>(frame_max, amqp::kFrameMinSize) - amqp::kFrameOverhead;
    for (size_t at = 0; at < body.size(); at += max_chunk) {
        size_t n = std::min(max_chunk, body.size() - at);
        size_t size_at = 0;
        amqp::begin_frame(one, amqp::FrameType::Body, spec.channel, size_at);
        if (at == 0) body_offset_ = one.size();
        one.append(body.data() + at, n);
        amqp::end_frame(one, size_at);
    }

    stride_ = one.size();
    capacity_ = std::max<size_t>(1, target_bytes / stride_);
    buf_.resize(capacity_ * stride_);
    for (size_t i = 0; i < capacity_; ++i) {
        std::memcpy(buf_.data() + i * stride_, one.data(), stride_);
    }
}

void PublishBatch::stamp(size_t n, int64_t send_ns) {
    if (!carries_time_) return;
    uint8_t* p = buf_.data() + body_offset_;
    for (size_t i = 0; i < n; ++i, p += stride_) std::memcpy(p, &send_ns, sizeof send_ns);
}

void PublishBatch::stamp_delay(size_t i, int64_t delay_ms, int64_t due_wall_ns) {
    uint8_t* m = buf_.data() + i * stride_;
    auto v = static_cast<uint64_t>(delay_ms);
    for (int b = 0; b < 8; ++b) m[delay_offset_ + b] = static_cast<uint8_t>(v >> (56 - 8 * b));
    std::memcpy(m + body_offset_, &due_wall_ns, sizeof due_wall_ns);
}

}  // namespace warren::perf
