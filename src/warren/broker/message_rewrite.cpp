#include "warren/broker/message_rewrite.h"

#include "warren/util/byte_buffer.h"

#include <cstring>

namespace warren::broker {

MessageRef with_headers(const Message& message, amqp::BasicProperties props,
                        const amqp::FieldTable& headers, std::string exchange,
                        std::string routing_key) {
    util::ByteBuffer table_bytes;
    amqp::encode_table_body(headers, table_bytes);
    props.flags |= amqp::BasicProperties::kHeaders;
    props.headers = amqp::RawTable{std::string_view(
        reinterpret_cast<const char*>(table_bytes.data()), table_bytes.size())};
    util::ByteBuffer encoded;
    amqp::Writer w(encoded);
    props.encode(w);
    std::string_view body = message.body();
    util::SharedBytes data = util::SharedBytes::allocate(encoded.size() + body.size());
    std::memcpy(data.mutable_data(), encoded.data(), encoded.size());
    if (!body.empty()) std::memcpy(data.mutable_data() + encoded.size(), body.data(), body.size());
    return MessageRef::make(std::move(exchange), std::move(routing_key), std::move(data),
                            static_cast<uint32_t>(encoded.size()), message.is_persistent());
}

}  // namespace warren::broker
