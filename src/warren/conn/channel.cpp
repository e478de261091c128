#include "warren/conn/channel.h"

#include "warren/broker/vhost.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"
#include "warren/util/log.h"

#include <fmt/format.h>

#include <unordered_map>

namespace warren::conn {

using amqp::ReplyCode;

bool ChannelConsumer::can_accept() const { return channel_.consumer_can_accept(*this); }

void ChannelConsumer::deliver(broker::Queue& queue, broker::QueuedMessage&& message) {
    channel_.deliver(*this, queue, std::move(message));
}

void ChannelConsumer::on_queue_deleted(broker::Queue&) { channel_.consumer_queue_deleted(*this); }

Channel::Channel(Connection& connection, uint16_t number) : conn_(connection), number_(number) {}

Channel::~Channel() {
    conn_.server().loop().cancel_timer(ack_timer_);
    release_resources();
    conn_.server().forget_durability_waiter(this);
}

void Channel::on_method(amqp::MethodId id, amqp::Reader& r) {
    if (closing_) {
        // Waiting for channel.close-ok: everything else is dropped (AMQP 0-9-1 §4.2.3).
        if (id == amqp::ChannelCloseOk::kId) {
            conn_.release_channel(number_);  // deletes this
        } else if (id == amqp::ChannelClose::kId) {
            reply(amqp::ChannelCloseOk{});
            conn_.release_channel(number_);
        }
        return;
    }
    if (assembly_ != Assembly::None) {
        conn_.fail(amqp::Error{ReplyCode::UnexpectedFrame,
                               assembly_ == Assembly::Header
                                   ? "UNEXPECTED_FRAME - expected content header for class 60, "
                                     "got non content header frame instead"
                                   : "UNEXPECTED_FRAME - expected content body, got non content "
                                     "body frame instead",
                               amqp::BasicPublish::kId, amqp::Scope::Connection});
        return;
    }
    if (id == amqp::ChannelClose::kId) {
        reply(amqp::ChannelCloseOk{});
        conn_.release_channel(number_);  // deletes this
        return;
    }
    current_method_ = id;
    std::string_view args(reinterpret_cast<const char*>(r.position()), r.remaining());
    auto result = handle(id, r);
    if (!result && result.error().code == ReplyCode::FrameError)
        result.error().text = fmt::format("FRAME_ERROR - cannot decode {}", amqp::erlang_binary(args));
    if (!result) {
        amqp::Error& e = result.error();
        if (e.cause.packed() == 0) e.cause = id;
        if (e.scope == amqp::Scope::Connection)
            conn_.fail(e);
        else
            fail(std::move(e), id);
    }
}

amqp::Result<> Channel::handle(amqp::MethodId id, amqp::Reader& r) {
    amqp::Result<> result = util::Unit{};
    auto status = amqp::dispatch_method(id, r, [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, amqp::ChannelOpen>)
            result = amqp::Error{ReplyCode::ChannelError,
                                 "CHANNEL_ERROR - second 'channel.open' seen", id,
                                 amqp::Scope::Connection};
        else if constexpr (std::is_same_v<M, amqp::ChannelFlow>) result = on_channel_flow(m);
        else if constexpr (std::is_same_v<M, amqp::ChannelFlowOk>) result = util::Unit{};
        else if constexpr (std::is_same_v<M, amqp::ExchangeDeclare>) result = on_exchange_declare(m);
        else if constexpr (std::is_same_v<M, amqp::ExchangeDelete>) result = on_exchange_delete(m);
        else if constexpr (std::is_same_v<M, amqp::ExchangeBind>) result = on_exchange_bind(m);
        else if constexpr (std::is_same_v<M, amqp::ExchangeUnbind>) result = on_exchange_unbind(m);
        else if constexpr (std::is_same_v<M, amqp::QueueDeclare>) result = on_queue_declare(m);
        else if constexpr (std::is_same_v<M, amqp::QueueBind>) result = on_queue_bind(m);
        else if constexpr (std::is_same_v<M, amqp::QueueUnbind>) result = on_queue_unbind(m);
        else if constexpr (std::is_same_v<M, amqp::QueuePurge>) result = on_queue_purge(m);
        else if constexpr (std::is_same_v<M, amqp::QueueDelete>) result = on_queue_delete(m);
        else if constexpr (std::is_same_v<M, amqp::BasicQos>) result = on_basic_qos(m);
        else if constexpr (std::is_same_v<M, amqp::BasicConsume>) result = on_basic_consume(m);
        else if constexpr (std::is_same_v<M, amqp::BasicCancel>) result = on_basic_cancel(m);
        else if constexpr (std::is_same_v<M, amqp::BasicPublish>) result = on_basic_publish(m);
        else if constexpr (std::is_same_v<M, amqp::BasicGet>) result = on_basic_get(m);
        else if constexpr (std::is_same_v<M, amqp::BasicAck>) result = on_basic_ack(m);
        else if constexpr (std::is_same_v<M, amqp::BasicReject>)
            result = on_basic_reject(m.delivery_tag, false, m.requeue);
        else if constexpr (std::is_same_v<M, amqp::BasicNack>)
            result = on_basic_reject(m.delivery_tag, m.multiple, m.requeue);
        else if constexpr (std::is_same_v<M, amqp::BasicRecover>) result = on_basic_recover(m);
        else if constexpr (std::is_same_v<M, amqp::BasicRecoverAsync>) {
            amqp::BasicRecover rec;
            rec.requeue = m.requeue;
            result = on_basic_recover(rec);
        } else if constexpr (std::is_same_v<M, amqp::ConfirmSelect>) result = on_confirm_select(m);
        else if constexpr (std::is_same_v<M, amqp::TxSelect>) result = on_tx_select();
        else if constexpr (std::is_same_v<M, amqp::TxCommit>) result = on_tx_commit();
        else if constexpr (std::is_same_v<M, amqp::TxRollback>) result = on_tx_rollback();
        else
            result = amqp::Error{ReplyCode::CommandInvalid,
                                 fmt::format("COMMAND_INVALID - unexpected method '{}' from client",
                                             M::kName),
                                 id, amqp::Scope::Connection};
    });
    if (status == amqp::DecodeStatus::UnknownMethod)
        return amqp::Error{ReplyCode::NotImplemented,
                           fmt::format("NOT_IMPLEMENTED - unknown method {}/{}", id.class_id,
                                       id.method_id),
                           id, amqp::Scope::Connection};
    if (status == amqp::DecodeStatus::Malformed)
        return amqp::Error{ReplyCode::FrameError,
                           fmt::format("FRAME_ERROR - cannot decode method '{}'",
                                       amqp::method_name(id)),
                           id, amqp::Scope::Connection};
    return result;
}

void Channel::fail(amqp::Error error, amqp::MethodId cause) {
    util::logger("conn").debug("connection {} channel {}: closing with {}", conn_.id(), number_,
                               error.text);
    amqp::ChannelClose close;
    close.reply_code = static_cast<uint16_t>(error.code);
    close.reply_text = error.text;
    close.class_id = cause.class_id;
    close.method_id = cause.method_id;
    reply(close);
    release_resources();
    closing_ = true;
}

amqp::Result<> Channel::on_channel_flow(const amqp::ChannelFlow& m) {
    // RabbitMQ 3.x refuses to stop deliveries this way (consumers use prefetch instead).
    if (!m.active)
        return amqp::Error{ReplyCode::NotImplemented, "NOT_IMPLEMENTED - active=false",
                           amqp::ChannelFlow::kId, amqp::Scope::Connection};
    flow_active_ = m.active;
    amqp::ChannelFlowOk ok;
    ok.active = m.active;
    reply(ok);
    if (flow_active_) wake_consumers();
    return {};
}

void Channel::release_resources() {
    assembly_ = Assembly::None;
    pending_durable_.clear();
    commit_waits_for_ = 0;
    pending_ = PendingPublish{};
    if (!reply_token_.empty()) {
        conn_.server().unregister_reply_channel(reply_token_);
        reply_token_.clear();
        reply_consumer_tag_.clear();
    }
    auto consumers = std::move(consumers_);
    consumers_.clear();
    std::vector<broker::Queue*> touched;
    for (auto& [tag, c] : consumers) {
        c->queue().remove_consumer(c.get());
        touched.push_back(&c->queue());
    }
    for (auto& u : unacked_) u.consumer = nullptr;
    for (auto& tx : tx_settlements_)
        for (auto& u : tx.taken) unacked_.push_back(std::move(u));
    tx_settlements_.clear();
    tx_publishes_.clear();
    requeue_all_unacked(broker::Queue::Return::ConsumerGone);
    consumers.clear();
    for (broker::Queue* q : touched) maybe_auto_delete(*q);
}

void Channel::maybe_auto_delete(broker::Queue& queue) {
    if (queue.is_auto_delete() && !queue.has_consumers() && !queue.is_deleted() &&
        conn_.vhost())
        conn_.vhost()->remove_queue(queue);
}

void Channel::wake_consumers() {
    for (auto& [tag, c] : consumers_) c->queue().wake();
}

void Channel::run_turn_task() {
    if (closing_ || confirmed_upto_ <= acked_upto_) return;
    amqp::BasicAck ack;
    ack.delivery_tag = confirmed_upto_;
    ack.multiple = confirmed_upto_ - acked_upto_ > 1;
    reply(ack);
    acked_upto_ = confirmed_upto_;
}

void Channel::confirm_published() {
    // Confirms stay in publish order: a later transient message is not acked (multiple)
    // ahead of an earlier persistent one still on its way to disk.
    uint64_t upto = pending_durable_.empty() ? next_publish_seq_ - 1
                                             : pending_durable_.front().seq - 1;
    if (upto > confirmed_upto_) confirmed_upto_ = upto;
    if (!pending_durable_.empty()) conn_.server().await_durability(this);
    if (confirmed_upto_ > acked_upto_) conn_.server().loop().schedule(*this, 0);
}

}  // namespace warren::conn
