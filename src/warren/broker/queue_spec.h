#pragma once

#include "warren/amqp/field_table.h"

#include <cstdint>
#include <string>

namespace warren::broker {

/// Identifies a connection that owns exclusive queues; 0 means none.
enum class OwnerId : uint64_t { None = 0 };

/// What a queue.declare (or an admin command, or definitions import) asks for.
struct QueueSpec {
    std::string name;
    bool durable = false;
    bool exclusive = false;
    bool auto_delete = false;
    amqp::FieldTable arguments;
};

struct ExchangeSpec {
    std::string name;
    std::string type;
    bool durable = false;
    bool auto_delete = false;
    bool internal = false;
    amqp::FieldTable arguments;
};

}  // namespace warren::broker
