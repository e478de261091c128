#pragma once

#include "warren/amqp/error.h"

#include <cstdint>
#include <string_view>

/// Every client-visible error text, worded as RabbitMQ 3.10 words it (STYLE.md §5).
namespace warren::broker::errors {

amqp::Error no_queue(std::string_view queue, std::string_view vhost);
amqp::Error no_exchange(std::string_view exchange, std::string_view vhost);
amqp::Error inequivalent_arg(std::string_view arg, std::string_view kind, std::string_view name,
                             std::string_view vhost, std::string_view received,
                             std::string_view current);
amqp::Error queue_locked(std::string_view queue, std::string_view vhost);
amqp::Error reserved_name(std::string_view kind, std::string_view name);
amqp::Error queue_in_use(std::string_view queue, std::string_view vhost);
amqp::Error queue_not_empty(std::string_view queue, std::string_view vhost);
amqp::Error exchange_in_use(std::string_view exchange, std::string_view vhost);
amqp::Error queue_in_exclusive_use(std::string_view queue, std::string_view vhost);
amqp::Error exclusive_consume_unavailable(std::string_view queue, std::string_view vhost);
amqp::Error unknown_exchange_type(std::string_view type);
/// x-delayed-message without a string x-delayed-type (the plugin's validate/1).
amqp::Error delayed_type_required();
/// x-delayed-type naming x-delayed-message itself.
amqp::Error delayed_type_recursive();
amqp::Error default_exchange_op();
amqp::Error system_exchange_deletion(std::string_view exchange, std::string_view vhost);
amqp::Error internal_exchange_publish(std::string_view exchange, std::string_view vhost);
amqp::Error access_refused(std::string_view kind, std::string_view name, std::string_view vhost,
                           std::string_view user);
amqp::Error unknown_delivery_tag(uint64_t tag);
amqp::Error reuse_consumer_tag(std::string_view tag);
amqp::Error unknown_consumer_tag(std::string_view tag);
amqp::Error invalid_queue_name(std::string_view name);
/// A queue argument's value refused: `detail` is the Erlang term RabbitMQ prints.
amqp::Error invalid_arg(std::string_view arg, std::string_view queue, std::string_view vhost,
                        std::string_view detail);
/// A queue (or consumer) argument queues of this type do not take; `type` is RabbitMQ's
/// module name, "rabbit_classic_queue".
amqp::Error invalid_arg_for_type(std::string_view arg, std::string_view queue,
                                 std::string_view vhost, std::string_view type);
/// A quorum queue declared non-durable, exclusive or auto-delete (`property` as RabbitMQ
/// names it: "non-durable", "exclusive-owner", "auto-delete").
amqp::Error invalid_queue_property(std::string_view property, std::string_view queue,
                                   std::string_view vhost);
/// An empty queue name for a type that cannot be server-named (quorum).
amqp::Error server_named_not_allowed(std::string_view type);
/// basic.consume on a quorum queue under a channel-wide (global) prefetch limit.
amqp::Error global_qos_not_supported(std::string_view queue, std::string_view vhost);
/// The oldest unacknowledged delivery on `channel` outlived the consumer timeout.
amqp::Error delivery_ack_timeout(uint16_t channel, int64_t timeout_ms);
amqp::Error invalid_dlx_type(std::string_view type, std::string_view queue,
                             std::string_view vhost);
/// An exchange's alternate-exchange argument that is not a string (rabbit_misc:r_arg/4).
amqp::Error invalid_alternate_exchange_type(std::string_view type, std::string_view exchange,
                                            std::string_view vhost);
/// x-queue-type=stream: RabbitMQ's answer while its stream_queue feature flag is disabled.
amqp::Error queue_type_disabled(std::string_view queue, std::string_view vhost,
                                std::string_view node);

}  // namespace warren::broker::errors
