#pragma once

#include "warren/amqp/field_table.h"

namespace warren::conn {

/// The server-properties table of connection.start: product, version and the
/// capabilities RabbitMQ announces, which clients use to enable features.
amqp::FieldTable server_properties();

}  // namespace warren::conn
