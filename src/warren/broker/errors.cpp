#include "warren/broker/errors.h"

#include <fmt/format.h>

namespace warren::broker::errors {

using amqp::ReplyCode;

amqp::Error no_queue(std::string_view queue, std::string_view vhost) {
    return amqp::channel_error(ReplyCode::NotFound,
                               fmt::format("NOT_FOUND - no queue '{}' in vhost '{}'", queue, vhost));
}

amqp::Error no_exchange(std::string_view exchange, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::NotFound,
        fmt::format("NOT_FOUND - no exchange '{}' in vhost '{}'", exchange, vhost));
}

amqp::Error inequivalent_arg(std::string_view arg, std::string_view kind, std::string_view name,
                             std::string_view vhost, std::string_view received,
                             std::string_view current) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - inequivalent arg '{}' for {} '{}' in vhost '{}': "
                    "received {} but current is {}",
                    arg, kind, name, vhost, received, current));
}

amqp::Error queue_locked(std::string_view queue, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::ResourceLocked,
        fmt::format("RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '{}' in "
                    "vhost '{}'. It could be originally declared on another connection or the "
                    "exclusive property value does not match that of the original declaration.",
                    queue, vhost));
}

amqp::Error reserved_name(std::string_view kind, std::string_view name) {
    return amqp::channel_error(
        ReplyCode::AccessRefused,
        fmt::format("ACCESS_REFUSED - {} name '{}' contains reserved prefix 'amq.*'", kind, name));
}

amqp::Error queue_in_use(std::string_view queue, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - queue '{}' in vhost '{}' in use", queue, vhost));
}

amqp::Error queue_not_empty(std::string_view queue, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - queue '{}' in vhost '{}' not empty", queue, vhost));
}

amqp::Error exchange_in_use(std::string_view exchange, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - exchange '{}' in vhost '{}' in use", exchange, vhost));
}

amqp::Error queue_in_exclusive_use(std::string_view queue, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::AccessRefused,
        fmt::format("ACCESS_REFUSED - queue '{}' in vhost '{}' in exclusive use", queue, vhost));
}

amqp::Error exclusive_consume_unavailable(std::string_view queue, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::AccessRefused,
        fmt::format("ACCESS_REFUSED - queue '{}' in vhost '{}' in exclusive use", queue, vhost));
}

amqp::Error unknown_exchange_type(std::string_view type) {
    return amqp::connection_error(ReplyCode::CommandInvalid,
                                  fmt::format("COMMAND_INVALID - unknown exchange type '{}'", type));
}

amqp::Error delayed_type_required() {
    return amqp::channel_error(ReplyCode::PreconditionFailed,
                               "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be "
                               "an existing exchange type");
}

amqp::Error delayed_type_recursive() {
    return amqp::channel_error(ReplyCode::PreconditionFailed,
                               "PRECONDITION_FAILED - Invalid argument, 'x-delayed-message' can't "
                               "be used for 'x-delayed-type'");
}

amqp::Error default_exchange_op() {
    return amqp::channel_error(ReplyCode::AccessRefused,
                               "ACCESS_REFUSED - operation not permitted on the default exchange");
}

amqp::Error system_exchange_deletion(std::string_view exchange, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::AccessRefused,
        fmt::format("ACCESS_REFUSED - deletion of system exchange '{}' in vhost '{}' not allowed",
                    exchange, vhost));
}

amqp::Error internal_exchange_publish(std::string_view exchange, std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::AccessRefused,
        fmt::format("ACCESS_REFUSED - cannot publish to internal exchange '{}' in vhost '{}'",
                    exchange, vhost));
}

amqp::Error access_refused(std::string_view kind, std::string_view name, std::string_view vhost,
                           std::string_view user) {
    return amqp::channel_error(
        ReplyCode::AccessRefused,
        fmt::format("ACCESS_REFUSED - access to {} '{}' in vhost '{}' refused for user '{}'", kind,
                    name, vhost, user));
}

amqp::Error unknown_delivery_tag(uint64_t tag) {
    return amqp::channel_error(ReplyCode::PreconditionFailed,
                               fmt::format("PRECONDITION_FAILED - unknown delivery tag {}", tag));
}

amqp::Error reuse_consumer_tag(std::string_view tag) {
    return amqp::connection_error(
        ReplyCode::NotAllowed, fmt::format("NOT_ALLOWED - attempt to reuse consumer tag '{}'", tag));
}

amqp::Error unknown_consumer_tag(std::string_view tag) {
    return amqp::channel_error(ReplyCode::NotFound,
                               fmt::format("NOT_FOUND - unknown consumer tag '{}'", tag));
}

amqp::Error invalid_queue_name(std::string_view name) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - invalid queue name '{}'", name));
}

amqp::Error invalid_arg(std::string_view arg, std::string_view queue, std::string_view vhost,
                        std::string_view detail) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - invalid arg '{}' for queue '{}' in vhost '{}': {}", arg,
                    queue, vhost, detail));
}

amqp::Error invalid_arg_for_type(std::string_view arg, std::string_view queue,
                                 std::string_view vhost, std::string_view type) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - invalid arg '{}' for queue '{}' in vhost '{}' of queue "
                    "type {}",
                    arg, queue, vhost, type));
}

amqp::Error invalid_queue_property(std::string_view property, std::string_view queue,
                                   std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - invalid property '{}' for queue '{}' in vhost '{}'",
                    property, queue, vhost));
}

amqp::Error server_named_not_allowed(std::string_view type) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - Cannot declare a server-named queue for type {}", type));
}

amqp::Error global_qos_not_supported(std::string_view queue, std::string_view vhost) {
    // A connection error in RabbitMQ 3.10 (rabbit_quorum_queue:consume/3).
    return amqp::connection_error(
        ReplyCode::NotImplemented,
        fmt::format("NOT_IMPLEMENTED - queue '{}' in vhost '{}' does not support global qos",
                    queue, vhost));
}

amqp::Error delivery_ack_timeout(uint16_t channel, int64_t timeout_ms) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - delivery acknowledgement on channel {} timed out. "
                    "Timeout value used: {} ms. This timeout value can be configured, see "
                    "consumers doc guide to learn more",
                    channel, timeout_ms));
}

amqp::Error invalid_alternate_exchange_type(std::string_view type, std::string_view exchange,
                                            std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - invalid type '{}' for arg 'alternate-exchange' in "
                    "exchange '{}' in vhost '{}'",
                    type, exchange, vhost));
}

amqp::Error invalid_dlx_type(std::string_view type, std::string_view queue,
                             std::string_view vhost) {
    return amqp::channel_error(
        ReplyCode::PreconditionFailed,
        fmt::format("PRECONDITION_FAILED - invalid type '{}' for arg 'x-dead-letter-exchange' in "
                    "queue '{}' in vhost '{}'",
                    type, queue, vhost));
}

amqp::Error queue_type_disabled(std::string_view queue, std::string_view vhost,
                                std::string_view node) {
    return amqp::connection_error(
        ReplyCode::InternalError,
        fmt::format("INTERNAL_ERROR - Cannot declare a queue 'queue '{}' in vhost '{}'' of type "
                    "'rabbit_stream_queue' on node '{}': the corresponding feature flag is "
                    "disabled",
                    queue, vhost, node));
}

}  // namespace warren::broker::errors
