#pragma once

#include "warren/broker/message.h"
#include "warren/broker/queue.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warren::broker {

/// The x-death "reason" text.
std::string_view death_reason_name(DeathReason reason);

/// A dead-lettered copy of a message, ready to publish to the dead-letter exchange.
struct DeadLetter {
    MessageRef message;
    /// The x-death entries' queues, newest first, and whether each was a rejection.
    std::vector<std::pair<std::string, bool>> deaths;
    bool rejected = false;

    /// RabbitMQ's cycle detection (rabbit_dead_letter:is_cycle/2): publishing to `queue`
    /// would take the message back to a queue it died in, with no rejection on the way.
    bool cycles_into(std::string_view queue) const;
};

/// Builds the copy of `message` that queue `queue` dead-letters to `exchange`, as RabbitMQ
/// 3.10 does (rabbit_dead_letter:make_msg/5): the x-death header gains or updates the
/// (queue, reason) entry (count, reason, queue, time, exchange, routing-keys and
/// original-expiration if the message had an expiration, which is removed); the first
/// death also sets x-first-death-reason/-queue/-exchange; the headers table is sorted by
/// key. With `routing_key` the copy routes by it alone (and loses its CC header); otherwise
/// by the original routing keys. `now_s` is the wall clock in seconds.
DeadLetter make_dead_letter(const Message& message, std::string_view queue, DeathReason reason,
                            const std::string& exchange,
                            const std::optional<std::string>& routing_key, uint64_t now_s);

}  // namespace warren::broker
