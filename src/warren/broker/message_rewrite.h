#pragma once

#include "warren/amqp/field_table.h"
#include "warren/amqp/methods.h"
#include "warren/broker/message.h"

#include <string>

namespace warren::broker {

/// A new message with `message`'s body and persistence, properties `props` whose headers
/// become `headers`, routed as `exchange` / `routing_key`. For the broker's own rewrites
/// (dead letters, quorum delivery counts); the original stays as it was.
MessageRef with_headers(const Message& message, amqp::BasicProperties props,
                        const amqp::FieldTable& headers, std::string exchange,
                        std::string routing_key);

}  // namespace warren::broker
