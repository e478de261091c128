#pragma once

#include <nlohmann/json_fwd.hpp>

namespace warren::broker {

class Broker;

/// The broker's durable state in RabbitMQ's definitions JSON format (as
/// `rabbitmqctl export_definitions` writes it): users, vhosts, permissions, durable
/// exchanges, queues and bindings. Used for the data directory's definitions.json and for
/// importing a RabbitMQ export.
nlohmann::json export_definitions(Broker& broker);
/// Applies definitions; throws std::runtime_error naming the bad entry.
void import_definitions(Broker& broker, const nlohmann::json& defs);

}  // namespace warren::broker
