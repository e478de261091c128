#include "warren/auth/user_db.h"
#include "warren/broker/delivery_count.h"
#include "warren/broker/errors.h"
#include "warren/broker/vhost.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"
#include "warren/util/random_name.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace warren::conn {

namespace {

constexpr std::string_view kReplyTo = "amq.rabbitmq.reply-to";

std::string generate_consumer_tag() { return util::random_name("amq.ctag-"); }

}  // namespace

amqp::Result<> Channel::on_basic_qos(const amqp::BasicQos& m) {
    if (m.prefetch_size != 0)
        return amqp::Error{amqp::ReplyCode::NotImplemented,
                           fmt::format("NOT_IMPLEMENTED - prefetch_size!=0 ({})", m.prefetch_size),
                           amqp::BasicQos::kId, amqp::Scope::Connection};
    if (m.global) {
        channel_prefetch_ = m.prefetch_count;
    } else {
        // RabbitMQ 3.10: global=false sets the limit of consumers created afterwards (running
        // ones keep theirs) and lifts a channel-wide limit set before.
        consumer_prefetch_ = m.prefetch_count;
        channel_prefetch_ = 0;
    }
    reply(amqp::BasicQosOk{});
    wake_consumers();
    return {};
}

amqp::Result<> Channel::consume_reply_to(const amqp::BasicConsume& m) {
    if (!m.no_ack)
        return amqp::channel_error(amqp::ReplyCode::PreconditionFailed,
                                   "PRECONDITION_FAILED - reply consumer cannot acknowledge");
    if (!reply_token_.empty())
        return amqp::channel_error(amqp::ReplyCode::PreconditionFailed,
                                   "PRECONDITION_FAILED - reply consumer already set");
    std::string tag = m.consumer_tag.empty() ? generate_consumer_tag() : std::string(m.consumer_tag);
    reply_token_ = conn_.server().register_reply_channel(this);
    reply_consumer_tag_ = tag;
    if (!m.no_wait) reply(amqp::BasicConsumeOk{tag});
    return {};
}

amqp::Result<> Channel::on_basic_consume(const amqp::BasicConsume& m) {
    if (m.queue == kReplyTo) return consume_reply_to(m);
    auto name = expand_queue_name(m.queue);
    if (!name) return name.error();
    if (auto denied = check_access(auth::Access::Read, "queue", *name); !denied) return denied;
    auto queue = conn_.vhost()->use_queue(*name, conn_.owner_id());
    if (!queue) return queue.error();
    std::string tag = m.consumer_tag.empty() ? generate_consumer_tag() : std::string(m.consumer_tag);
    if (consumers_.count(tag) || tag == reply_consumer_tag_)
        return broker::errors::reuse_consumer_tag(tag);
    broker::Queue& q = **queue;
    const std::string& vhost = conn_.vhost()->name();
    if (q.is_quorum() && channel_prefetch_ != 0)
        return broker::errors::global_qos_not_supported(*name, vhost);
    if (auto invalid = broker::validate_consumer_arguments(q.settings().type, m.arguments, *name,
                                                           vhost);
        !invalid)
        return invalid.error();
    if (q.has_exclusive_consumer() || (m.exclusive && q.has_consumers()))
        return broker::errors::queue_in_exclusive_use(*name, vhost);
    int64_t priority = 0;
    if (const amqp::FieldValue* p = m.arguments.find("x-priority")) {
        if (!p->as_int(priority) || priority < INT32_MIN || priority > INT32_MAX)
            return amqp::channel_error(
                amqp::ReplyCode::PreconditionFailed,
                fmt::format("PRECONDITION_FAILED - invalid arg 'x-priority' for queue '{}' in "
                            "vhost '{}': {{unacceptable_type,{}}}",
                            *name, vhost, p->tag()));
    }
    auto consumer = std::make_unique<ChannelConsumer>(*this, *queue, tag, m.no_ack, m.exclusive,
                                                      consumer_prefetch_,
                                                      static_cast<int32_t>(priority));
    ChannelConsumer* c = consumer.get();
    c->arguments = m.arguments;
    consumers_.emplace(tag, std::move(consumer));
    if (!m.no_wait) reply(amqp::BasicConsumeOk{tag});
    q.add_consumer(c);
    return {};
}

void Channel::forget_consumer(ChannelConsumer& c) {
    for (auto& u : unacked_)
        if (u.consumer == &c) u.consumer = nullptr;
}

void Channel::cancel_consumer(const std::string& tag, bool notify_client) {
    auto it = consumers_.find(tag);
    if (it == consumers_.end()) return;
    std::unique_ptr<ChannelConsumer> c = std::move(it->second);
    consumers_.erase(it);
    forget_consumer(*c);
    broker::QueueRef queue(&c->queue());
    queue->remove_consumer(c.get());
    if (notify_client) reply(amqp::BasicCancel{tag, true});
    c.reset();
    maybe_auto_delete(*queue);
}

void Channel::consumer_queue_deleted(ChannelConsumer& c) {
    std::string tag = c.tag();
    forget_consumer(c);
    consumers_.erase(tag);  // deletes c
    // Consumer cancel notification (RabbitMQ extension), for clients that announce it.
    if (conn_.supports_consumer_cancel_notify() && !closing_) reply(amqp::BasicCancel{tag, true});
}

amqp::Result<> Channel::on_basic_cancel(const amqp::BasicCancel& m) {
    std::string tag(m.consumer_tag);
    if (!reply_consumer_tag_.empty() && tag == reply_consumer_tag_) {
        conn_.server().unregister_reply_channel(reply_token_);
        reply_token_.clear();
        reply_consumer_tag_.clear();
    } else {
        cancel_consumer(tag, false);
    }
    // Cancelling an unknown tag is not an error (RabbitMQ answers cancel-ok).
    if (!m.no_wait) reply(amqp::BasicCancelOk{tag});
    return {};
}

amqp::Result<> Channel::on_basic_get(const amqp::BasicGet& m) {
    auto name = expand_queue_name(m.queue);
    if (!name) return name.error();
    if (auto denied = check_access(auth::Access::Read, "queue", *name); !denied) return denied;
    auto queue = conn_.vhost()->use_queue(*name, conn_.owner_id());
    if (!queue) return queue.error();
    auto got = (*queue)->get(m.no_ack);
    if (!got) {
        reply(amqp::BasicGetEmpty{});
        return {};
    }
    uint64_t tag = next_delivery_tag_++;
    const broker::Message& msg = *got->message;
    amqp::BasicGetOk ok;
    ok.delivery_tag = tag;
    ok.redelivered = got->redelivered;
    ok.exchange = msg.exchange();
    ok.routing_key = msg.routing_key();
    ok.message_count = static_cast<uint32_t>((*queue)->ready_count());
    if ((*queue)->is_quorum())  // basic.get shows the count even on a first delivery
        conn_.send_content(number_, ok, *broker::with_delivery_count(msg, got->delivery_count));
    else
        conn_.send_content(number_, ok, msg);
    if (!m.no_ack) push_unacked(tag, **queue, std::move(*got), nullptr);
    return {};
}

bool Channel::consumer_can_accept(const ChannelConsumer& c) const {
    if (closing_ || !flow_active_) return false;
    if (conn_.is_backlogged()) {
        conn_.note_throttled(const_cast<Channel*>(this));
        return false;
    }
    if (c.is_no_ack()) return true;
    if (c.prefetch_ != 0 && c.unacked >= c.prefetch_) return false;
    return channel_prefetch_ == 0 || consumer_unacked_ < channel_prefetch_;
}

void Channel::deliver(ChannelConsumer& c, broker::Queue& queue, broker::QueuedMessage&& m) {
    uint64_t tag = next_delivery_tag_++;
    const broker::Message& msg = *m.message;
    amqp::BasicDeliver d;
    d.consumer_tag = c.tag();
    d.delivery_tag = tag;
    d.redelivered = m.redelivered;
    d.exchange = msg.exchange();
    d.routing_key = msg.routing_key();
    if (m.delivery_count > 0)  // quorum queues: returned messages show their count
        conn_.send_content(number_, d, *broker::with_delivery_count(msg, m.delivery_count));
    else
        conn_.send_content(number_, d, msg);
    if (!c.is_no_ack()) {
        ++c.unacked;
        ++consumer_unacked_;
        push_unacked(tag, queue, std::move(m), &c);
    }
}

void Channel::deliver_reply(const broker::MessageRef& message, std::string_view routing_key) {
    if (closing_ || reply_token_.empty()) return;
    amqp::BasicDeliver d;
    d.consumer_tag = reply_consumer_tag_;
    d.delivery_tag = next_delivery_tag_++;
    d.exchange = message->exchange();
    d.routing_key = routing_key;
    conn_.send_content(number_, d, *message);
}

amqp::Result<std::vector<Channel::Unacked>> Channel::take_unacked(uint64_t tag, bool multiple) {
    std::vector<Unacked> taken;
    if (multiple && tag == 0) {
        taken.assign(std::make_move_iterator(unacked_.begin()),
                     std::make_move_iterator(unacked_.end()));
        unacked_.clear();
        return taken;
    }
    auto it = std::lower_bound(unacked_.begin(), unacked_.end(), tag,
                               [](const Unacked& u, uint64_t t) { return u.tag < t; });
    if (it == unacked_.end() || it->tag != tag) return broker::errors::unknown_delivery_tag(tag);
    if (multiple) {
        auto end = it + 1;
        taken.assign(std::make_move_iterator(unacked_.begin()), std::make_move_iterator(end));
        unacked_.erase(unacked_.begin(), end);
    } else {
        taken.push_back(std::move(*it));
        unacked_.erase(it);
    }
    return taken;
}

void Channel::apply_settlement(std::vector<Unacked>& taken, bool ack, bool requeue,
                               broker::Queue::Return why) {
    std::unordered_map<broker::Queue*, std::vector<broker::QueuedMessage>> back;
    bool freed_credit = false;
    for (Unacked& u : taken) {
        if (u.consumer) --u.consumer->unacked;
        if (u.counts_for_prefetch) {
            --consumer_unacked_;
            freed_credit = true;
        }
        if (!ack && requeue)
            back[u.queue.get()].push_back(std::move(u.message));
        else if (!ack)
            u.queue->reject(std::move(u.message));  // dead-lettered if the queue says so
        else
            u.queue->remove_delivered(std::move(u.message));
    }
    for (auto& [queue, messages] : back) queue->requeue(std::move(messages), why);
    if (freed_credit) wake_consumers();
}

amqp::Result<> Channel::settle(uint64_t tag, bool multiple, bool ack, bool requeue) {
    auto taken = take_unacked(tag, multiple);
    if (!taken) return taken.error();
    if (tx_mode_) {
        tx_settlements_.push_back(TxSettlement{std::move(*taken), ack, requeue});
        return {};
    }
    apply_settlement(*taken, ack, requeue);
    return {};
}

amqp::Result<> Channel::on_basic_ack(const amqp::BasicAck& m) {
    return settle(m.delivery_tag, m.multiple, true, false);
}

amqp::Result<> Channel::on_basic_reject(uint64_t tag, bool multiple, bool requeue) {
    return settle(tag, multiple, false, requeue);
}

void Channel::requeue_all_unacked(broker::Queue::Return why) {
    if (unacked_.empty()) return;
    std::vector<Unacked> all(std::make_move_iterator(unacked_.begin()),
                             std::make_move_iterator(unacked_.end()));
    unacked_.clear();
    apply_settlement(all, false, true, why);
}

amqp::Result<> Channel::on_basic_recover(const amqp::BasicRecover& m) {
    if (!m.requeue)
        return amqp::Error{amqp::ReplyCode::NotImplemented, "NOT_IMPLEMENTED - requeue=false",
                           current_method_, amqp::Scope::Connection};
    requeue_all_unacked(broker::Queue::Return::Requeued);
    if (current_method_ == amqp::BasicRecover::kId) reply(amqp::BasicRecoverOk{});
    return {};
}

}  // namespace warren::conn
