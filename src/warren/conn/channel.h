#pragma once

#include "warren/amqp/error.h"
#include "warren/amqp/frame.h"
#include "warren/amqp/methods.h"
#include "warren/auth/user_db.h"
#include "warren/broker/consumer.h"
#include "warren/broker/message.h"
#include "warren/broker/queue.h"
#include "warren/broker/vhost.h"
#include "warren/conn/connection.h"
#include "warren/net/event_loop.h"
#include "warren/util/shared_bytes.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace warren::broker {
class Exchange;
}

namespace warren::conn {

class Connection;
class Channel;

/// A basic.consume subscription: the channel's side of broker::Consumer.
class ChannelConsumer final : public broker::Consumer {
public:
    ChannelConsumer(Channel& channel, broker::QueueRef queue, std::string tag, bool no_ack,
                    bool exclusive, uint16_t prefetch, int32_t priority)
        : Consumer(std::move(tag), no_ack, exclusive, priority), channel_(channel),
          queue_(std::move(queue)), prefetch_(prefetch) {}

    bool can_accept() const override;
    void deliver(broker::Queue& queue, broker::QueuedMessage&& message) override;
    void on_queue_deleted(broker::Queue& queue) override;

    broker::Queue& queue() { return *queue_; }
    const broker::Queue& queue() const { return *queue_; }
    /// basic.consume's arguments, as given (warrenctl list_consumers shows them).
    amqp::FieldTable arguments;

private:
    Channel& channel_;
    broker::QueueRef queue_;

public:
    uint16_t prefetch_;     // basic.qos global=false limit; 0 is unlimited
    uint32_t unacked = 0;   // deliveries to this consumer not yet settled
};

/// One AMQP channel: its methods, content assembly for basic.publish, consumers,
/// unacknowledged deliveries, prefetch, publisher confirms and transactions.
/// Method handlers live in handlers/<class>.cpp; each returns an Error value and the
/// channel (or connection, for hard errors) decides what closes.
class Channel : private net::TurnTask {
public:
    Channel(Connection& connection, uint16_t number);
    ~Channel();

    uint16_t number() const { return number_; }
    Connection& connection() { return conn_; }
    bool is_closing() const { return closing_; }

    /// A method frame for this channel.
    void on_method(amqp::MethodId id, amqp::Reader& r);
    /// A content header or body frame; false closes the connection (error already sent).
    void on_header(std::string_view payload);
    void on_body(std::string_view payload);
    bool expects_content() const { return assembly_ != Assembly::None; }

    /// Requeues unacked messages and cancels consumers (channel or connection closed).
    void release_resources();

    // Used by ChannelConsumer.
    bool consumer_can_accept(const ChannelConsumer& c) const;
    void deliver(ChannelConsumer& c, broker::Queue& queue, broker::QueuedMessage&& m);
    void consumer_queue_deleted(ChannelConsumer& c);
    /// Direct reply-to: a reply for this channel's amq.rabbitmq.reply-to consumer.
    void deliver_reply(const broker::MessageRef& message, std::string_view routing_key);
    /// The connection's backlog drained: wake the queues this channel consumes from.
    void wake_consumers();
    /// The message log is durable up to `position`: confirm what waited for it.
    void on_durable(uint64_t position);
    /// The message log could not write or sync: publishes waiting for it are nacked.
    void on_store_failed();
    bool awaits_durability() const { return !pending_durable_.empty(); }

    /// What warrenctl list_channels shows (conn/introspection.cpp).
    struct Stats {
        size_t consumer_count = 0;
        size_t messages_unacknowledged = 0;
        size_t messages_unconfirmed = 0;
        size_t messages_uncommitted = 0;
        size_t acks_uncommitted = 0;
        uint16_t prefetch_count = 0;         // basic.qos global=false
        uint16_t global_prefetch_count = 0;  // basic.qos global=true
        bool confirm = false;
        bool transactional = false;
    };
    Stats stats() const;
    const std::map<std::string, std::unique_ptr<ChannelConsumer>>& consumers() const {
        return consumers_;
    }

private:
    enum class Assembly { None, Header, Body };
    struct PendingPublish {
        std::string exchange;
        std::string routing_key;
        bool mandatory = false;
        uint64_t body_size = 0;
        uint32_t properties_size = 0;
        size_t received = 0;
        util::SharedBytes data;
    };
    struct Unacked {
        uint64_t tag;
        broker::QueueRef queue;
        broker::QueuedMessage message;
        ChannelConsumer* consumer;  // null for basic.get or once cancelled
        bool counts_for_prefetch;   // delivered to a consumer, not basic.get
        int64_t timeout_ms = 0;     // consumer timeout that applies to it
        net::EventLoop::Clock::time_point delivered_at{};
    };
    /// Fires at the oldest unacked delivery's consumer-timeout deadline.
    class AckTimer final : public net::TurnTask {
    public:
        explicit AckTimer(Channel& c) : channel_(c) {}
        void run_turn_task() override { channel_.on_ack_timer(); }

    private:
        Channel& channel_;
    };
    struct TxPublish {
        std::string exchange;
        std::string routing_key;
        bool mandatory;
        broker::MessageRef message;
    };

    void run_turn_task() override;  // sends coalesced publisher confirms
    /// Records an unacked delivery (consumer timeout included) and arms the ack timer.
    void push_unacked(uint64_t tag, broker::Queue& queue, broker::QueuedMessage&& m,
                      ChannelConsumer* consumer);
    /// The consumer timeout for a delivery from `queue` to `consumer` (null: basic.get):
    /// the consumer's x-consumer-timeout, else the queue's (argument or policy), else the
    /// consumer_timeout setting, as RabbitMQ 3.12 resolves it.
    int64_t consumer_timeout_ms(const broker::Queue& queue, const ChannelConsumer* consumer) const;
    /// RabbitMQ checks only the oldest unacked delivery (rabbit_channel's
    /// evaluate_consumer_timeout); so does this, at its deadline rather than on a 60 s tick.
    void arm_ack_timer();
    void on_ack_timer();
    amqp::Result<> handle(amqp::MethodId id, amqp::Reader& r);
    void fail(amqp::Error error, amqp::MethodId cause);
    template <class M>
    void reply(const M& method) {
        conn_.send(number_, method);
    }

    // handlers/channel.cpp
    amqp::Result<> on_channel_close(const amqp::ChannelClose& m);
    amqp::Result<> on_channel_close_ok(const amqp::ChannelCloseOk& m);
    amqp::Result<> on_channel_flow(const amqp::ChannelFlow& m);
    // handlers/exchange.cpp
    amqp::Result<> on_exchange_declare(const amqp::ExchangeDeclare& m);
    amqp::Result<> on_exchange_delete(const amqp::ExchangeDelete& m);
    amqp::Result<> on_exchange_bind(const amqp::ExchangeBind& m);
    amqp::Result<> on_exchange_unbind(const amqp::ExchangeUnbind& m);
    // handlers/queue.cpp
    amqp::Result<> on_queue_declare(const amqp::QueueDeclare& m);
    amqp::Result<> on_queue_bind(const amqp::QueueBind& m);
    amqp::Result<> on_queue_unbind(const amqp::QueueUnbind& m);
    amqp::Result<> on_queue_purge(const amqp::QueuePurge& m);
    amqp::Result<> on_queue_delete(const amqp::QueueDelete& m);
    amqp::Result<std::string> expand_queue_name(std::string_view name) const;
    // handlers/basic.cpp
    amqp::Result<> on_basic_qos(const amqp::BasicQos& m);
    amqp::Result<> on_basic_consume(const amqp::BasicConsume& m);
    amqp::Result<> on_basic_cancel(const amqp::BasicCancel& m);
    amqp::Result<> on_basic_get(const amqp::BasicGet& m);
    amqp::Result<> on_basic_ack(const amqp::BasicAck& m);
    amqp::Result<> on_basic_reject(uint64_t tag, bool multiple, bool requeue);
    amqp::Result<> on_basic_recover(const amqp::BasicRecover& m);
    amqp::Result<> settle(uint64_t tag, bool multiple, bool ack, bool requeue);
    amqp::Result<std::vector<Unacked>> take_unacked(uint64_t tag, bool multiple);
    void apply_settlement(std::vector<Unacked>& taken, bool ack, bool requeue,
                          broker::Queue::Return why = broker::Queue::Return::Requeued);
    void requeue_all_unacked(broker::Queue::Return why);
    void cancel_consumer(const std::string& tag, bool notify_client);
    void forget_consumer(ChannelConsumer& c);
    void maybe_auto_delete(broker::Queue& queue);
    amqp::Result<> consume_reply_to(const amqp::BasicConsume& m);
    // handlers/publish.cpp
    amqp::Result<> on_basic_publish(const amqp::BasicPublish& m);
    amqp::Result<> complete_publish();
    /// Routes, stores and enqueues (broker::Vhost::publish), or hands a direct reply-to
    /// over; sends basic.return for an unroutable mandatory message.
    broker::Vhost::PublishResult route_message(broker::Exchange& exchange,
                                               const std::string& routing_key, bool mandatory,
                                               const broker::MessageRef& message);
    /// Publish `seq` was refused by a queue at its limit: nack it, in confirm order.
    void nack_published(uint64_t seq);
    void replace_properties(PendingPublish& p, const amqp::BasicProperties& props);
    amqp::Result<broker::Exchange*> check_publish_target(std::string_view exchange);
    void confirm_published();
    // handlers/confirm_tx.cpp
    amqp::Result<> on_confirm_select(const amqp::ConfirmSelect& m);
    amqp::Result<> on_tx_select();
    amqp::Result<> on_tx_commit();
    amqp::Result<> on_tx_rollback();
    // handlers/permissions.cpp
    amqp::Result<> check_access(auth::Access access, std::string_view kind, std::string_view name);
    /// A new queue's x-dead-letter-exchange: read on the queue, write on the exchange.
    amqp::Result<> check_dead_letter_access(std::string_view queue,
                                            const amqp::FieldTable& arguments);

    Connection& conn_;
    uint16_t number_;
    bool closing_ = false;
    bool flow_active_ = true;
    amqp::MethodId current_method_{};

    Assembly assembly_ = Assembly::None;
    PendingPublish pending_;

    std::map<std::string, std::unique_ptr<ChannelConsumer>> consumers_;
    std::deque<Unacked> unacked_;
    AckTimer ack_timer_{*this};
    bool ack_timer_armed_ = false;
    uint64_t next_delivery_tag_ = 1;
    uint16_t consumer_prefetch_ = 0;  // basic.qos global=false, for new consumers
    uint16_t channel_prefetch_ = 0;   // basic.qos global=true, shared by the channel
    uint32_t consumer_unacked_ = 0;   // unacked deliveries made to consumers
    std::string last_queue_;          // for the empty-name shortcut (AMQP 0-9-1 §1.7.2.1)

    bool confirm_mode_ = false;
    uint64_t next_publish_seq_ = 1;
    uint64_t confirmed_upto_ = 0;  // published and settled, not yet acked to the client
    uint64_t acked_upto_ = 0;
    struct PendingDurable {
        uint64_t seq;       // publish sequence number awaiting its confirm
        uint64_t position;  // message log position that makes it durable
        bool nack = false;  // refused (x-overflow reject-publish): nacked in its turn
    };
    std::deque<PendingDurable> pending_durable_;
    /// Sends the acks for everything settled before `seq`, then basic.nack for `seq`.
    void send_nack(uint64_t seq);

    bool tx_mode_ = false;
    std::vector<TxPublish> tx_publishes_;
    struct TxSettlement {
        std::vector<Unacked> taken;
        bool ack;
        bool requeue;
    };
    std::vector<TxSettlement> tx_settlements_;
    uint64_t commit_waits_for_ = 0;  // log position before tx.commit-ok may go out

    std::string reply_token_;
    std::string reply_consumer_tag_;

    std::string write_allowed_exchange_;  // cached write permission for publishing
    bool write_allowed_ = false;
};

}  // namespace warren::conn
