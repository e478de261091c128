#include "warren/broker/delivery_count.h"

#include "warren/amqp/field_table.h"
#include "warren/amqp/methods.h"
#include "warren/broker/message_rewrite.h"

#include <algorithm>

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

    return with_headers(message, std::move(props), headers, message.exchange(),
                        message.routing_key());
}

}  // namespace warren::broker
