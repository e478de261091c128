#pragma once

#include "warren/broker/consumer.h"
#include "warren/broker/message.h"
#include "warren/broker/queue_settings.h"
#include "warren/broker/queue_spec.h"
#include "warren/net/event_loop.h"
#include "warren/store/message_log.h"
#include "warren/util/ref.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace warren::broker {

class Exchange;
class MessagePager;
class Queue;

/// Why a message was dead-lettered (the x-death "reason").
enum class DeathReason : uint8_t { Rejected, Expired, MaxLen, DeliveryLimit };

/// What a queue needs from its vhost: somewhere to dead-letter messages and someone to
/// delete it when x-expires runs out. (The vhost; tests may leave it null.)
class QueueHost {
public:
    /// `message` left `queue` for `reason` and the queue has a dead-letter exchange. The host
    /// republishes a copy and then calls `queue.finish_dead_letter(message)` if `held` (the
    /// queue held it: its log record is released only once the copy is published).
    virtual void dead_letter(Queue& queue, QueuedMessage&& message, DeathReason reason,
                             bool held) = 0;
    /// x-expires: the queue went unused for that long.
    virtual void queue_expired(Queue& queue) = 0;

protected:
    virtual ~QueueHost() = default;
};

/// A binding that points at this queue, remembered so deleting the queue can remove it
/// from its exchanges.
struct InboundBinding {
    Exchange* source;
    std::string routing_key;
    amqp::FieldTable arguments;
};

/// A FIFO of messages with round-robin dispatch to its consumers.
/// Owned by its vhost, on the loop thread. Dispatch runs at the end of a loop turn, so a
/// burst of publishes or acks read in one turn leads to one dispatch pass.
///
/// The FIFO has two parts: `ready_`, messages in memory, then `paged_`, a tail whose
/// bodies are only on disk (see MessagePager). Once a tail exists new messages join it,
/// so order holds; the head is refilled from it in batches as consumers drain it.
class Queue : public util::RefCounted, private net::TurnTask {
public:
    /// `log` is the message log for a durable queue (null otherwise): persistent messages
    /// leaving this queue are recorded there.
    Queue(net::EventLoop& loop, std::string vhost, QueueSpec spec, OwnerId owner,
          store::MessageLog* log, MessagePager* pager = nullptr, QueueHost* host = nullptr);
    ~Queue() override;

    const std::string& name() const { return spec_.name; }
    const std::string& vhost() const { return vhost_; }
    const QueueSpec& spec() const { return spec_; }
    bool is_durable() const { return spec_.durable; }
    bool is_exclusive() const { return spec_.exclusive; }
    bool is_auto_delete() const { return spec_.auto_delete; }
    OwnerId owner() const { return owner_; }
    bool is_deleted() const { return deleted_; }
    const QueueSettings& settings() const { return settings_; }
    bool is_quorum() const { return settings_.type == QueueType::Quorum; }
    /// The one entry point for settings (arguments and policies); may be re-applied.
    void apply_settings(const QueueSettings& settings);
    /// The policy in force ("" if none), for list_queues.
    const std::string& policy() const { return policy_; }
    void set_policy(std::string name) { policy_ = std::move(name); }

    size_t ready_count() const { return ready_.size() + paged_.size(); }
    /// Ready messages whose bodies are on disk only.
    size_t paged_count() const { return paged_.size(); }
    /// Bytes of message data this queue's ready messages hold in memory.
    uint64_t resident_bytes() const { return resident_bytes_; }
    size_t unacked_count() const { return unacked_; }
    size_t consumer_count() const { return consumers_.size(); }
    bool has_consumers() const { return !consumers_.empty(); }
    bool has_exclusive_consumer() const { return exclusive_consumer_; }
    /// True once a consumer was ever added: auto-delete applies only after that.
    bool had_consumers() const { return had_consumers_; }

    void enqueue(MessageRef message);
    /// x-overflow reject-publish(-dlx) at the length limit: `message` would not be taken.
    bool refuses(const Message& message) const {
        return has_length_limit_ && settings_.overflow != Overflow::DropHead &&
               would_overflow(message);
    }
    /// reject-publish-dlx: dead-letters a refused message (reason maxlen).
    void dead_letter_refused(MessageRef message);
    /// The host republished a dead-lettered message this queue held: release it here.
    void finish_dead_letter(const QueuedMessage& message) { forget(message); }
    /// The queue was used (declared again, basic.get): x-expires starts over.
    void touch();
    /// A message found in the log at start-up; its body stays on disk until needed.
    /// `deliveries` counts its delivered records here (a quorum queue's delivery count).
    void enqueue_recovered(uint64_t store_id, store::Location location, bool redelivered,
                           uint32_t deliveries = 0);
    /// Whether a persistent message here goes to the message log.
    bool is_stored() const { return log_ != nullptr; }
    /// This queue's name in the message log.
    const std::string& store_key() const { return store_key_; }
    /// Takes the head message for basic.get; counts it unacked unless `no_ack`.
    std::optional<QueuedMessage> get(bool no_ack);
    /// Why delivered messages come back (quorum queues place them differently).
    enum class Return : uint8_t {
        Requeued,      // basic.reject / basic.nack with requeue, basic.recover
        ConsumerGone,  // the channel or connection closed with them unacked
    };
    /// Puts delivered messages back, flagged redelivered: a classic queue at their original
    /// positions. A quorum queue counts the delivery and dead-letters (or drops) what went
    /// over x-delivery-limit; the rest go back as RabbitMQ 3.10 puts them: to the tail when
    /// requeued without a delivery limit, otherwise to the head behind earlier returns.
    void requeue(std::vector<QueuedMessage> messages, Return why = Return::Requeued);
    void requeue(QueuedMessage message, Return why = Return::Requeued);
    /// An unacked delivery is done with for good (acked).
    void remove_delivered(QueuedMessage&& message);
    /// An unacked delivery was rejected without requeue: dead-lettered if there is a
    /// dead-letter exchange, dropped otherwise.
    void reject(QueuedMessage&& message);
    /// A delivery awaiting an ack left the queue (recorded so a restart redelivers it
    /// flagged redelivered).
    void note_delivered(const QueuedMessage& message);
    size_t purge();
    /// Memory pressure: moves ready messages past the first `keep` to the paged tail.
    /// Returns the bytes of message data that left memory.
    uint64_t page_out_tail(size_t keep);
    /// Compaction: re-logs this queue's ready messages held in log `segment` and lets go
    /// of it. Returns how many moved. (Unacked deliveries keep it until acked or requeued.)
    size_t relocate(uint32_t segment);

    void add_consumer(Consumer* consumer);
    /// Returns true if the consumer was registered here.
    bool remove_consumer(Consumer* consumer);
    /// A consumer may take more: dispatch at the end of this turn.
    void wake();

    /// Detaches consumers (notifying them) and drops messages; called by the vhost.
    void mark_deleted();

    std::vector<InboundBinding>& inbound_bindings() { return inbound_; }

private:
    /// Fires x-expires.
    class IdleTimer final : public net::TurnTask {
    public:
        explicit IdleTimer(Queue& q) : queue_(q) {}
        void run_turn_task() override { queue_.on_idle_timer(); }

    private:
        Queue& queue_;
    };

    void run_turn_task() override;
    void on_idle_timer();
    void arm_idle_timer();
    bool would_overflow(const Message& message) const;
    /// drop-head: drops (or dead-letters) the oldest ready messages while over the limit.
    void drop_head();
    /// A ready message leaves for `reason`: dead-lettered if there is a dead-letter
    /// exchange, forgotten otherwise.
    void discard(QueuedMessage&& m, DeathReason reason);
    void add_ready_bytes(uint64_t n) { ready_bytes_ += n; }
    void remove_ready_bytes(uint64_t n) { ready_bytes_ -= std::min(ready_bytes_, n); }
    /// Removes the paged tail's first entry (keeping the byte count of a bytes-limited
    /// queue).
    void pop_paged_front();
    /// Priority queues: where a message of priority `p` and sequence `seq` goes in `ready_`.
    std::deque<QueuedMessage>::iterator priority_position(uint8_t p, uint64_t seq);
    uint8_t priority_of(const Message& m) const;
    void dispatch();
    /// Drops expired messages at the head (TTL applies at the head, as in RabbitMQ).
    /// `inclusive` also drops those expiring right now.
    void drop_expired(bool inclusive);
    void arm_expiry();
    int64_t now_ms() const;
    /// A message leaves this queue for good.
    void forget(const QueuedMessage& m);
    void forget(const PagedMessage& m);
    void push_ready(QueuedMessage m);
    QueuedMessage pop_ready();
    /// Appends at the tail (the paged tail if there is one), keeping `m`'s expiry.
    void push_tail(QueuedMessage m);
    /// Quorum queues: puts returned messages back in order (see requeue), dead-lettering
    /// those over the delivery limit.
    void return_quorum(std::vector<QueuedMessage> messages, Return why);
    bool over_delivery_limit(uint32_t delivery_count) const {
        return settings_.delivery_limit >= 0 &&
               delivery_count > static_cast<uint64_t>(settings_.delivery_limit);
    }
    /// The ready head's message may be handed out; false if it was dropped instead (a
    /// recovered quorum message already over its delivery limit).
    bool head_deliverable();
    /// What a relocate record keeps of a ready message's deliveries.
    uint32_t log_count(const QueuedMessage& m) const {
        return is_quorum() ? m.delivery_count : (m.redelivered ? 1u : 0u);
    }
    /// Whether a message the log holds for this queue (`in_log`) goes to the paged tail.
    bool pages_next(bool in_log) const;
    /// Reads a batch of the paged tail into memory when the head ran dry; false if none.
    bool refill();
    /// Whether the log holds `m` for this queue: persistent messages of durable queues, and
    /// every message of a quorum queue (RabbitMQ stores them all).
    bool in_log(const Message& m) const {
        return log_ && m.store_id() != 0 && (m.is_persistent() || is_quorum());
    }

    net::EventLoop& loop_;
    std::string vhost_;
    QueueSpec spec_;
    OwnerId owner_;
    std::deque<QueuedMessage> ready_;
    std::deque<PagedMessage> paged_;
    uint64_t resident_bytes_ = 0;
    std::vector<Consumer*> consumers_;  // by priority, highest first; rotated as served
    size_t unacked_ = 0;
    uint64_t next_seq_ = 1;
    size_t returned_at_head_ = 0;  // quorum queues: returns at the front of ready_
    QueueSettings settings_;
    std::string policy_;
    bool has_length_limit_ = false;
    bool tracks_bytes_ = false;      // x-max-length-bytes: ready_bytes_ is kept
    uint64_t ready_bytes_ = 0;       // body bytes of ready messages (memory and paged)
    std::deque<uint32_t> paged_body_sizes_;  // beside paged_, only when tracks_bytes_
    int64_t last_used_ms_ = 0;
    store::MessageLog* log_;
    MessagePager* pager_;
    QueueHost* host_;
    IdleTimer idle_timer_{*this};
    std::string store_key_;
    bool exclusive_consumer_ = false;
    bool had_consumers_ = false;
    bool deleted_ = false;
    std::vector<InboundBinding> inbound_;
};

using QueueRef = util::Ref<Queue>;

}  // namespace warren::broker
