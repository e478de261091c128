#include "warren/broker/queue.h"

#include "warren/broker/message_pager.h"

#include <algorithm>

namespace warren::broker {
namespace {

// One refill reads about this much of the paged tail back into memory.
constexpr size_t kRefillCount = 1024;
constexpr uint64_t kRefillBytes = 4 << 20;

}  // namespace

Queue::Queue(net::EventLoop& loop, std::string vhost, QueueSpec spec, OwnerId owner,
             store::MessageLog* log, MessagePager* pager)
    : loop_(loop), vhost_(std::move(vhost)), spec_(std::move(spec)), owner_(owner), log_(log),
      pager_(pager) {
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

Queue::~Queue() {
    if (pager_) pager_->remove_resident(resident_bytes_);
}

void Queue::push_ready(QueuedMessage m) {
    uint64_t size = m.message->data().size();
    resident_bytes_ += size;
    if (pager_) pager_->add_resident(size);
    ready_.push_back(std::move(m));
}

QueuedMessage Queue::pop_ready() {
    QueuedMessage m = std::move(ready_.front());
    ready_.pop_front();
    uint64_t size = m.message->data().size();
    resident_bytes_ -= std::min(resident_bytes_, size);
    if (pager_) pager_->remove_resident(size);
    return m;
}

bool Queue::pages_next(bool stored_here) const {
    return pager_ && (!paged_.empty() || pager_->should_page(resident_bytes_, stored_here));
}

bool Queue::refill() {
    if (!ready_.empty()) return true;
    if (paged_.empty() || !pager_) return false;
    resident_bytes_ += pager_->page_in(paged_, kRefillCount, kRefillBytes, ready_, next_seq_);
    return !ready_.empty();
}

void Queue::enqueue(MessageRef message) {
    if (deleted_) return;
    int64_t ttl = message->ttl_ms();
    if (message_ttl_ms_ >= 0 && (ttl < 0 || message_ttl_ms_ < ttl)) ttl = message_ttl_ms_;
    // A deadline of exactly now still allows immediate delivery (TTL 0 reaches a ready
    // consumer, RabbitMQ semantics); +1 keeps 0 meaning "never".
    int64_t expires = ttl >= 0 ? now_ms() + ttl + 1 : 0;
    QueuedMessage m{std::move(message), next_seq_++, expires, false};
    bool stored_here = in_log(*m.message);
    if (pages_next(stored_here)) {
        paged_.push_back(pager_->page_out(m, stored_here));
    } else {
        push_ready(std::move(m));
    }
    if (!consumers_.empty() || expires) wake();
}

void Queue::enqueue_recovered(uint64_t store_id, store::Location location, bool redelivered) {
    paged_.push_back(PagedMessage{store_id, location, static_cast<uint8_t>(redelivered), 0});
}

void Queue::forget(const QueuedMessage& m) {
    if (!in_log(*m.message)) return;
    if (!deleted_) log_->append_remove(store_key_, m.message->store_id());
    log_->release(m.message->store_location().segment);
}

void Queue::forget(const PagedMessage& m) {
    if (m.store_id == 0) {
        if (pager_) pager_->discard(m);
        return;
    }
    if (!log_) return;
    if (!deleted_) log_->append_remove(store_key_, m.store_id);
    log_->release(m.location.segment);
}

uint64_t Queue::page_out_tail(size_t keep) {
    if (!pager_ || ready_.size() <= keep) return 0;
    uint64_t freed = 0;
    while (ready_.size() > keep) {
        QueuedMessage& m = ready_.back();
        uint64_t size = m.message->data().size();
        paged_.push_front(pager_->page_out(m, in_log(*m.message)));
        ready_.pop_back();
        freed += size;
    }
    resident_bytes_ -= std::min(resident_bytes_, freed);
    pager_->remove_resident(freed);
    return freed;
}

void Queue::note_delivered(const QueuedMessage& m) {
    if (log_ && !m.redelivered && m.message->store_id() != 0)
        log_->append_delivered(store_key_, m.message->store_id());
}

void Queue::remove_delivered(QueuedMessage&& m) {
    if (unacked_ > 0) --unacked_;
    forget(m);
}

size_t Queue::relocate(uint32_t segment) {
    if (!log_ || deleted_) return 0;
    size_t moved = 0;
    for (QueuedMessage& m : ready_) {
        const Message& old = *m.message;
        if (!in_log(old) || old.store_location().segment != segment) continue;
        store::Location at = log_->append_relocate(old.store_id(), store_key_, m.redelivered,
                                                   old.exchange(), old.routing_key(),
                                                   old.data().view(), old.properties_size());
        // A copy of its own (sharing the body): other queues may still hold the original.
        MessageRef copy = MessageRef::make(old.exchange(), old.routing_key(), old.data(),
                                           old.properties_size(), true);
        copy->set_stored(old.store_id(), at);
        m.message = std::move(copy);
        log_->release(segment);
        ++moved;
    }
    std::string record;
    for (PagedMessage& e : paged_) {
        if (e.store_id == 0 || e.location.segment != segment) continue;
        record.resize(e.location.length);
        store::PublishRecord rec;
        if (!log_->read(e.location.segment, e.location.offset, e.location.length, record.data()) ||
            !store::MessageLog::decode_publish(record, rec) || rec.id != e.store_id)
            continue;  // left where it is (and logged by the read)
        e.location = log_->append_relocate(e.store_id, store_key_, e.redelivered != 0,
                                           rec.exchange, rec.routing_key, rec.data,
                                           rec.properties_size);
        log_->release(segment);
        ++moved;
    }
    return moved;
}

std::optional<QueuedMessage> Queue::get(bool no_ack) {
    drop_expired(false);
    if (!refill()) return std::nullopt;
    QueuedMessage m = pop_ready();
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
    uint64_t bytes = 0;
    for (auto& m : messages) {
        m.redelivered = true;
        bytes += m.message->data().size();
    }
    resident_bytes_ += bytes;
    if (pager_) pager_->add_resident(bytes);
    // Requeued messages are older than the paged tail (it is read back in order behind
    // everything in memory), so they always go back into the head. Usual case: they are
    // older than everything ready too.
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
    size_t n = ready_count();
    for (const auto& m : ready_) forget(m);
    for (const auto& m : paged_) forget(m);
    ready_.clear();
    paged_.clear();
    if (pager_) pager_->remove_resident(resident_bytes_);
    resident_bytes_ = 0;
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
    if (ready_.empty() && paged_.empty()) return;
    int64_t now = now_ms() + (inclusive ? 1 : 0);
    auto expired = [now](int64_t at) { return at != 0 && at <= now; };
    while (!ready_.empty() && expired(ready_.front().expires_ms)) forget(pop_ready());
    // Expired messages of the paged tail go without being read back.
    while (ready_.empty() && !paged_.empty() && expired(paged_.front().expires_ms)) {
        forget(paged_.front());
        paged_.pop_front();
    }
}

void Queue::arm_expiry() {
    if (deleted_) return;
    int64_t at = !ready_.empty() ? ready_.front().expires_ms
                 : !paged_.empty() ? paged_.front().expires_ms
                                   : 0;
    if (at == 0) return;
    loop_.schedule_at(*this, net::EventLoop::Clock::time_point(std::chrono::milliseconds(at)));
}

void Queue::dispatch() {
    int64_t now = 0;
    while (!consumers_.empty() && refill()) {
        if (int64_t at = ready_.front().expires_ms; at != 0) {
            // Bodies read back from the paged tail may have expired while on disk.
            if (now == 0) now = now_ms();
            if (at <= now) {
                forget(pop_ready());
                continue;
            }
        }
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
        QueuedMessage m = pop_ready();
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
    purge();
    auto consumers = std::move(consumers_);
    consumers_.clear();
    for (Consumer* c : consumers) c->on_queue_deleted(*this);
}

}  // namespace warren::broker
