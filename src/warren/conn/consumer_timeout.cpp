#include "warren/broker/errors.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"
#include "warren/util/log.h"

// Channel's consumer (delivery acknowledgement) timeout: every unacked delivery records when
// it left and the timeout that applies to it; one timer watches the oldest.

namespace warren::conn {

void Channel::push_unacked(uint64_t tag, broker::Queue& queue, broker::QueuedMessage&& m,
                           ChannelConsumer* consumer) {
    unacked_.push_back(Unacked{tag, broker::QueueRef(&queue), std::move(m), consumer,
                               consumer != nullptr, consumer_timeout_ms(queue, consumer),
                               conn_.server().loop().now()});
    if (!ack_timer_armed_) arm_ack_timer();
}

int64_t Channel::consumer_timeout_ms(const broker::Queue& queue,
                                     const ChannelConsumer* consumer) const {
    int64_t ms = 0;
    if (consumer)
        if (const amqp::FieldValue* v = consumer->arguments.find("x-consumer-timeout");
            v && v->as_int(ms) && ms >= 0)
            return ms;
    if (queue.settings().consumer_timeout_ms >= 0) return queue.settings().consumer_timeout_ms;
    return static_cast<int64_t>(conn_.server().config().consumer_timeout_ms);
}

void Channel::arm_ack_timer() {
    if (unacked_.empty() || closing_) return;
    const Unacked& oldest = unacked_.front();
    conn_.server().loop().schedule_at(
        ack_timer_, oldest.delivered_at + std::chrono::milliseconds(oldest.timeout_ms));
    ack_timer_armed_ = true;
}

void Channel::on_ack_timer() {
    ack_timer_armed_ = false;
    if (unacked_.empty() || closing_) return;
    const Unacked& oldest = unacked_.front();
    if (conn_.server().loop().now() - oldest.delivered_at <
        std::chrono::milliseconds(oldest.timeout_ms)) {
        arm_ack_timer();  // the one it was armed for was settled; wait for the next
        return;
    }
    util::logger("conn").warn(
        "connection {} channel {}: a delivery went unacknowledged for over {} ms "
        "(consumer timeout); closing the channel",
        conn_.id(), number_, oldest.timeout_ms);
    // RabbitMQ's channel.close names no method (class and method id 0).
    fail(broker::errors::delivery_ack_timeout(number_, oldest.timeout_ms), amqp::MethodId{});
}

}  // namespace warren::conn
