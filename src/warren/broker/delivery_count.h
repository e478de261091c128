#pragma once

#include "warren/broker/message.h"

#include <cstdint>

namespace warren::broker {

/// The copy of `message` a quorum queue hands out: its headers gain (or replace)
/// "x-delivery-count" = `count` as a long and are sorted by key, as RabbitMQ 3.10's
/// rabbit_basic:add_header does. Queues keep the original, so dead letters and stored
/// copies carry no such header. Made only for deliveries that show the count (returned
/// messages, basic.get), so first deliveries to consumers cost nothing.
MessageRef with_delivery_count(const Message& message, uint32_t count);

}  // namespace warren::broker
