#pragma once

#include "warren/broker/message.h"

#include <cstdint>
#include <string>

namespace warren::broker {

class Queue;

/// A subscription on a queue. Implemented by the connection layer (conn::ChannelConsumer);
/// the queue only asks whether it may deliver and hands messages over.
class Consumer {
public:
    Consumer(std::string tag, bool no_ack, bool exclusive, int32_t priority = 0)
        : tag_(std::move(tag)), no_ack_(no_ack), exclusive_(exclusive), priority_(priority) {}
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;

    const std::string& tag() const { return tag_; }
    bool is_no_ack() const { return no_ack_; }
    bool is_exclusive() const { return exclusive_; }
    /// x-priority: higher-priority consumers get messages while they can take them.
    int32_t priority() const { return priority_; }

    /// Whether a delivery now stays within prefetch limits, channel flow and the
    /// connection's outbound buffer.
    virtual bool can_accept() const = 0;
    virtual void deliver(Queue& queue, QueuedMessage&& message) = 0;
    /// The queue went away (deleted, or its owner closed): the consumer is already removed.
    virtual void on_queue_deleted(Queue& queue) = 0;

protected:
    virtual ~Consumer() = default;

private:
    std::string tag_;
    bool no_ack_;
    bool exclusive_;
    int32_t priority_;
};

}  // namespace warren::broker
