#pragma once

#include "warren/amqp/error.h"
#include "warren/amqp/field_table.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace warren::broker {

struct QueueSpec;

/// x-overflow: what a queue at its length limit does with one more message.
enum class Overflow : uint8_t { DropHead, RejectPublish, RejectPublishDlx };

/// x-queue-type. Quorum queues are accepted and run as classic queues (as before this
/// type existed); streams are refused as RabbitMQ refuses them with the feature disabled.
enum class QueueType : uint8_t { Classic, Quorum, Stream };

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
    /// Quorum queues only (RabbitMQ refuses it on classic queues); the hook for later.
    int64_t delivery_limit = -1;

    bool has_length_limit() const { return max_length >= 0 || max_length_bytes >= 0; }
    bool has_dead_letter_exchange() const { return dead_letter_exchange.has_value(); }
};

/// RabbitMQ's name for a field value's AMQP type ("longstr", "signedint", ...).
std::string_view amqp_type_name(const amqp::FieldValue& v);

/// Validates a new queue's declare arguments as RabbitMQ 3.10 does, in its order
/// (rabbit_amqqueue:declare_args/0 after the x-dead-letter-exchange type check), with
/// its PRECONDITION_FAILED texts; a stream queue gets the connection-level INTERNAL_ERROR
/// RabbitMQ gives while its stream feature flag is off. `node` names this broker.
amqp::Result<QueueSettings> validate_queue_arguments(const QueueSpec& spec, std::string_view vhost,
                                                     std::string_view node);

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
