#pragma once

#include "warren/amqp/field_table.h"

#include <string>
#include <vector>

namespace warren::broker {

/// RabbitMQ's sender-selected distribution: a message is also routed by the keys its CC and
/// BCC headers name, and BCC is removed before anyone sees the message.
/// Appends the routing keys of a CC or BCC header (a string, or an array whose strings
/// count); nothing for a missing header or another type.
void append_sender_selected_keys(const amqp::FieldValue* header, std::vector<std::string>& out);

}  // namespace warren::broker
