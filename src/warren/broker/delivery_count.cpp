#include "warren/broker/delivery_count.h"

#include "warren/amqp/field_table.h"
#include "warren/amqp/methods.h"
#include "warren/util/byte_buffer.h"

#include <algorithm>
#include <cstring>

namespace warren::broker {

MessageRef with_delivery_count(const Message& message, uint32_t count) {
    amqp::BasicProperties props;
    amqp::Reader r(message.properties());
    props.decode(r);
    amqp::FieldTable headers;
    if (props.has(amqp::BasicProperties::kHeaders)) amqp::decode_table(props.headers.bytes, headers);
    headers.set("x-delivery-count", int64_t{count});
    // rabbit_misc:set_table_value sorts the table.
    std::vector<amqp::FieldTable::Entry> entries = headers.entries();
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    headers.clear();
    for (auto& [k, v] : entries) headers.append(std::move(k), std::move(v));

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
    return MessageRef::make(message.exchange(), message.routing_key(), std::move(data),
                            static_cast<uint32_t>(encoded.size()), message.is_persistent());
}

}  // namespace warren::broker
