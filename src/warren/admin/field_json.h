#pragma once

#include "warren/amqp/field_table.h"

#include <nlohmann/json_fwd.hpp>

namespace warren::admin {

/// A field table as rabbitmqctl's JSON formatter shows it: [[key, type, value], ...] with
/// RabbitMQ's type names (signedint, longstr, bool, table...); nested tables the same way,
/// arrays as [[type, value], ...].
nlohmann::json field_table_json(const amqp::FieldTable& table);

}  // namespace warren::admin
