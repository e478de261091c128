#pragma once

#include "warren/amqp/error.h"
#include "warren/amqp/field_table.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace warren::broker {

struct QueueSpec;

/// x-overflow: what a queue at its length limit does with one more message.
enum class Overflow : uint8_t { DropHead, RejectPublish, RejectPublishDlx };

/// x-queue-type. Quorum queues run on this one node with RabbitMQ 3.10's quorum semantics
/// (always durable, delivery counts and limits, every message stored); streams are refused
/// as RabbitMQ refuses them with the feature disabled.
enum class QueueType : uint8_t { Classic, Quorum, Stream };

/// RabbitMQ's module name for a queue type ("rabbit_quorum_queue"), as its texts show it.
std::string_view queue_type_name(QueueType type);
/// The type x-queue-type asks for (classic when absent or not a known name).
QueueType queue_type_of(const amqp::FieldTable& args);
/// The arguments queues of `type` take, in RabbitMQ's order; a redeclare compares these
/// (rabbit_amqqueue:assert_args_equivalence/2), others may differ freely.
std::span<const std::string_view> queue_type_arguments(QueueType type);

/// A policy's definition (RabbitMQ's keys without the "x-" prefix: "max-length",
/// "dead-letter-exchange", ...). Policies do not exist yet; `effective` already takes them.
struct PolicyDefinition {
    amqp::FieldTable definition;
};

/// What a queue's arguments (and later policies) make of it, parsed once at declare.
/// Unset limits are -1; `max_priority` 0 means not a priority queue.
struct QueueSettings {
    int64_t message_ttl_ms = -1;
    int64_t expires_ms = -1;
    int64_t max_length = -1;
    int64_t max_length_bytes = -1;
    Overflow overflow = Overflow::DropHead;
    std::optional<std::string> dead_letter_exchange;
    std::optional<std::string> dead_letter_routing_key;
    uint8_t max_priority = 0;
    bool single_active_consumer = false;
    QueueType type = QueueType::Classic;
    /// Quorum queues only (RabbitMQ refuses it on classic queues): a message returned more
    /// often than this is dead-lettered (reason delivery_limit) or dropped.
    int64_t delivery_limit = -1;
    /// x-consumer-timeout (RabbitMQ 3.12+) or policy key consumer-timeout, the lower of the
    /// two: how long a delivery from this queue may stay unacknowledged; -1 leaves it to the
    /// consumer_timeout setting. A value that is not an integer is ignored, as in 3.12.
    int64_t consumer_timeout_ms = -1;

    bool has_length_limit() const { return max_length >= 0 || max_length_bytes >= 0; }
    bool has_dead_letter_exchange() const { return dead_letter_exchange.has_value(); }
};

/// RabbitMQ's name for a field value's AMQP type ("longstr", "signedint", ...).
std::string_view amqp_type_name(const amqp::FieldValue& v);

/// Validates a new queue's declare arguments as RabbitMQ 3.10 does, in its order (the
/// x-dead-letter-exchange type check, x-queue-type, rabbit_amqqueue:declare_args/0 for the
/// arguments the queue type takes, then arguments only other types take), with its
/// PRECONDITION_FAILED texts; then a quorum queue's properties (durable, not exclusive, not
/// auto-delete). A stream queue gets the connection-level INTERNAL_ERROR RabbitMQ gives
/// while its stream feature flag is off. `node` names this broker.
amqp::Result<QueueSettings> validate_queue_arguments(const QueueSpec& spec, std::string_view vhost,
                                                     std::string_view node);

/// Validates basic.consume arguments for a queue of `type` as RabbitMQ 3.10 does
/// (rabbit_amqqueue:check_consume_arguments/3): x-priority and x-cancel-on-ha-failover
/// values where the type takes them, then arguments only other types take (x-stream-offset,
/// x-cancel-on-ha-failover on a quorum queue) refused "of queue type ...".
amqp::Result<> validate_consumer_arguments(QueueType type, const amqp::FieldTable& args,
                                           std::string_view queue, std::string_view vhost);

/// The settings in force for a queue with arguments `args` (already validated; values
/// that are not are ignored) under `policy` and `operator_policy` (either may be null).
///
/// RabbitMQ's resolution (rabbit_policy:get/2 and rabbit_amqqueue_process's
/// args-policy table): a policy and an operator policy setting the same key combine to the
/// lower value for max-length, max-length-bytes, message-ttl, expires and delivery-limit,
/// otherwise the policy's value stands (operator policies only carry those keys). That
/// value then meets the queue argument: the lower wins for the same numeric keys, the
/// argument wins for every other key (dead-letter-exchange, dead-letter-routing-key,
/// overflow). x-max-priority, x-single-active-consumer and x-queue-type are arguments only.
QueueSettings effective(const amqp::FieldTable& args, const PolicyDefinition* policy,
                        const PolicyDefinition* operator_policy);

}  // namespace warren::broker
