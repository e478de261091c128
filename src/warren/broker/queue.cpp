#include "warren/broker/queue.h"

#include <algorithm>

namespace warren::broker {

Queue::Queue(net::EventLoop& loop, std::string vhost, QueueSpec spec, OwnerId owner,
             store::MessageLog* log)
    : loop_(loop), vhost_(std::move(vhost)), spec_(std::move(spec)), owner_(owner), log_(log) {
    if (log_) store_key_ = vhost_ + '\0' + spec_.name;
    int64_t ttl = 0;
    if (const auto* v = spec_.arguments.find("x-message-ttl"); v && v->as_int(ttl) && ttl >= 0)
        message_ttl_ms_ = ttl;
}

int64_t Queue::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               loop_.now().time_since_epoch())
        .count();
}

Queue::~Queue() = default;

void Queue::enqueue(MessageRef message) {
    if (deleted_) return;
    int64_t ttl = message->ttl_ms();
    if (message_ttl_ms_ >= 0 && (ttl < 0 || message_ttl_ms_ < ttl)) ttl = message_ttl_ms_;
    // A deadline of exactly now still allows immediate delivery (TTL 0 reaches a ready
    // consumer, RabbitMQ semantics); +1 keeps 0 meaning "never".
    int64_t expires = ttl >= 0 ? now_ms() + ttl + 1 : 0;
    ready_.push_back(QueuedMessage{std::move(message), next_seq_++, expires, false});
    if (!consumers_.empty() || expires) wake();
}

void Queue::enqueue_recovered(MessageRef message, bool redelivered) {
    ready_.push_back(QueuedMessage{std::move(message), next_seq_++, 0, redelivered});
}

void Queue::forget(const QueuedMessage& m) {
    if (!log_ || m.message->store_id() == 0) return;
    if (!deleted_) log_->append_remove(store_key_, m.message->store_id());
    if (m.message->release_store_ref()) log_->release(m.message->store_segment());
}

void Queue::note_delivered(const QueuedMessage& m) {
    if (log_ && !m.redelivered && m.message->store_id() != 0)
        log_->append_delivered(store_key_, m.message->store_id());
}

void Queue::remove_delivered(QueuedMessage&& m) {
    if (unacked_ > 0) --unacked_;
    forget(m);
}

std::optional<QueuedMessage> Queue::get(bool no_ack) {
    drop_expired(false);
    if (ready_.empty()) return std::nullopt;
    QueuedMessage m = std::move(ready_.front());
    ready_.pop_front();
    if (no_ack) {
        forget(m);
    } else {
        ++unacked_;
        note_delivered(m);
    }
    return m;
}

void Queue::requeue(QueuedMessage message) {
    std::vector<QueuedMessage> one;
    one.push_back(std::move(message));
    requeue(std::move(one));
}

void Queue::requeue(std::vector<QueuedMessage> messages) {
    unacked_ -= std::min(unacked_, messages.size());
    if (deleted_) {
        for (auto& m : messages) forget(m);
        return;
    }
    if (messages.empty()) return;
    std::sort(messages.begin(), messages.end(),
              [](const QueuedMessage& a, const QueuedMessage& b) { return a.seq < b.seq; });
    for (auto& m : messages) m.redelivered = true;
    // Usual case: everything requeued is older than everything ready.
    if (ready_.empty() || messages.back().seq < ready_.front().seq) {
        for (auto it = messages.rbegin(); it != messages.rend(); ++it)
            ready_.push_front(std::move(*it));
    } else {
        for (auto& m : messages) {
            auto at = std::lower_bound(
                ready_.begin(), ready_.end(), m.seq,
                [](const QueuedMessage& q, uint64_t seq) { return q.seq < seq; });
            ready_.insert(at, std::move(m));
        }
    }
    if (!consumers_.empty()) wake();
}

size_t Queue::purge() {
    size_t n = ready_.size();
    for (const auto& m : ready_) forget(m);
    ready_.clear();
    return n;
}

void Queue::add_consumer(Consumer* consumer) {
    // Kept ordered by priority, highest first; equal priorities in arrival order.
    auto at = std::find_if(consumers_.begin(), consumers_.end(), [&](const Consumer* c) {
        return c->priority() < consumer->priority();
    });
    consumers_.insert(at, consumer);
    had_consumers_ = true;
    if (consumer->is_exclusive()) exclusive_consumer_ = true;
    wake();
}

bool Queue::remove_consumer(Consumer* consumer) {
    auto it = std::find(consumers_.begin(), consumers_.end(), consumer);
    if (it == consumers_.end()) return false;
    consumers_.erase(it);
    if (consumer->is_exclusive()) exclusive_consumer_ = false;
    return true;
}

void Queue::wake() {
    if (!deleted_) loop_.schedule(*this, 0);
}

void Queue::run_turn_task() {
    drop_expired(false);
    dispatch();
    drop_expired(true);
    arm_expiry();
}

void Queue::drop_expired(bool inclusive) {
    if (ready_.empty()) return;
    int64_t now = now_ms() + (inclusive ? 1 : 0);
    while (!ready_.empty() && ready_.front().expires_ms != 0 && ready_.front().expires_ms <= now) {
        forget(ready_.front());
        ready_.pop_front();
    }
}

void Queue::arm_expiry() {
    if (ready_.empty() || ready_.front().expires_ms == 0 || deleted_) return;
    loop_.schedule_at(*this, net::EventLoop::Clock::time_point(
                                 std::chrono::milliseconds(ready_.front().expires_ms)));
}

void Queue::dispatch() {
    while (!ready_.empty() && !consumers_.empty()) {
        // The first consumer able to take it, in priority order; within a priority the one
        // served goes to the back of its group, which makes plain round-robin.
        auto it = std::find_if(consumers_.begin(), consumers_.end(),
                               [](Consumer* c) { return c->can_accept(); });
        if (it == consumers_.end()) return;  // all full; an ack or a drain wakes us
        Consumer* chosen = *it;
        auto group_end = std::find_if(it, consumers_.end(), [&](const Consumer* c) {
            return c->priority() != chosen->priority();
        });
        std::rotate(it, it + 1, group_end);
        QueuedMessage m = std::move(ready_.front());
        ready_.pop_front();
        if (chosen->is_no_ack()) {
            forget(m);
        } else {
            ++unacked_;
            note_delivered(m);
        }
        chosen->deliver(*this, std::move(m));
    }
}

void Queue::mark_deleted() {
    if (deleted_) return;
    if (log_) log_->append_drop_queue(store_key_);
    deleted_ = true;  // from here on forget() releases log space without writing records
    loop_.cancel(*this);
    loop_.cancel_timer(*this);
    for (const auto& m : ready_) forget(m);
    ready_.clear();
    auto consumers = std::move(consumers_);
    consumers_.clear();
    for (Consumer* c : consumers) c->on_queue_deleted(*this);
}

}  // namespace warren::broker
