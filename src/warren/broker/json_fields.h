#pragma once

#include "warren/amqp/field_table.h"

#include <nlohmann/json.hpp>

namespace warren::broker {

/// Field tables in definitions JSON (arguments, policy definitions): integers, booleans,
/// strings, floats, nested tables and arrays; binaries as byte arrays, timestamps as
/// seconds.
nlohmann::json to_json(const amqp::FieldValue& v);
nlohmann::json to_json(const amqp::FieldTable& t);
/// The reverse; a non-object gives an empty table.
amqp::FieldTable table_from_json(const nlohmann::json& j);
amqp::FieldValue from_json(const nlohmann::json& j);

}  // namespace warren::broker
