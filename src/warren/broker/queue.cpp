#include "warren/broker/queue.h"

#include "warren/amqp/methods.h"
#include "warren/broker/message_pager.h"

#include <algorithm>

namespace warren::broker {
namespace {

// One refill reads about this much of the paged tail back into memory.
constexpr size_t kRefillCount = 1024;
constexpr uint64_t kRefillBytes = 4 << 20;

}  // namespace

Queue::Queue(net::EventLoop& loop, std::string vhost, QueueSpec spec, OwnerId owner,
             store::MessageLog* log, MessagePager* pager, QueueHost* host)
    : loop_(loop), vhost_(std::move(vhost)), spec_(std::move(spec)), owner_(owner), log_(log),
      pager_(pager), host_(host) {
    if (log_) store_key_ = vhost_ + '\0' + spec_.name;
    apply_settings(effective(spec_.arguments, nullptr, nullptr));
    touch();
}

void Queue::apply_settings(const QueueSettings& settings) {
    settings_ = settings;
    // rabbit_quorum_queue:overflow/3 logs reject-publish-dlx as invalid and drops the head.
    if (is_quorum() && settings_.overflow == Overflow::RejectPublishDlx)
        settings_.overflow = Overflow::DropHead;
    has_length_limit_ = settings_.has_length_limit();
    bool tracks = settings_.max_length_bytes >= 0;
    if (tracks && !tracks_bytes_) {
        // Paged entries recovered from the log only know their record's size: close enough.
        ready_bytes_ = 0;
        for (const QueuedMessage& m : ready_) ready_bytes_ += m.message->body_size();
        paged_body_sizes_.clear();
        for (const PagedMessage& p : paged_) {
            paged_body_sizes_.push_back(p.location.length);
            ready_bytes_ += p.location.length;
        }
    } else if (!tracks) {
        paged_body_sizes_.clear();
        ready_bytes_ = 0;
    }
    tracks_bytes_ = tracks;
    if (settings_.max_priority > 0 && !paged_.empty()) refill();
    if (has_length_limit_ && settings_.overflow == Overflow::DropHead) drop_head();
    arm_idle_timer();
}

void Queue::touch() {
    last_used_ms_ = now_ms();
    arm_idle_timer();
}

void Queue::arm_idle_timer() {
    if (settings_.expires_ms <= 0 || deleted_ || !consumers_.empty()) return;
    loop_.schedule_at(idle_timer_, net::EventLoop::Clock::time_point(std::chrono::milliseconds(
                                       last_used_ms_ + settings_.expires_ms)));
}

void Queue::on_idle_timer() {
    if (deleted_ || settings_.expires_ms <= 0 || !consumers_.empty()) return;
    if (now_ms() < last_used_ms_ + settings_.expires_ms) {
        arm_idle_timer();
        return;
    }
    if (host_) host_->queue_expired(*this);  // may delete this queue
}

int64_t Queue::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               loop_.now().time_since_epoch())
        .count();
}

Queue::~Queue() {
    if (pager_) pager_->remove_resident(resident_bytes_);
    loop_.cancel_timer(idle_timer_);
}

uint8_t Queue::priority_of(const Message& m) const {
    amqp::BasicProperties props;
    amqp::Reader r(m.properties());
    if (!props.decode(r) || !props.has(amqp::BasicProperties::kPriority)) return 0;
    return std::min(props.priority, settings_.max_priority);
}

std::deque<QueuedMessage>::iterator Queue::priority_position(uint8_t p, uint64_t seq) {
    // ready_ is ordered by priority (highest first), then by sequence.
    return std::upper_bound(ready_.begin(), ready_.end(), std::make_pair(p, seq),
                            [](const std::pair<uint8_t, uint64_t>& key, const QueuedMessage& q) {
                                return key.first != q.priority ? key.first > q.priority
                                                               : key.second < q.seq;
                            });
}

void Queue::push_ready(QueuedMessage m) {
    uint64_t size = m.message->data().size();
    resident_bytes_ += size;
    if (pager_) pager_->add_resident(size);
    if (tracks_bytes_) add_ready_bytes(m.message->body_size());
    if (settings_.max_priority > 0) {
        auto at = priority_position(m.priority, m.seq);
        ready_.insert(at, std::move(m));
        return;
    }
    ready_.push_back(std::move(m));
}

QueuedMessage Queue::pop_ready() {
    QueuedMessage m = std::move(ready_.front());
    ready_.pop_front();
    if (returned_at_head_ > 0) --returned_at_head_;
    uint64_t size = m.message->data().size();
    resident_bytes_ -= std::min(resident_bytes_, size);
    if (pager_) pager_->remove_resident(size);
    if (tracks_bytes_) remove_ready_bytes(m.message->body_size());
    return m;
}

void Queue::pop_paged_front() {
    paged_.pop_front();
    if (tracks_bytes_ && !paged_body_sizes_.empty()) {
        remove_ready_bytes(paged_body_sizes_.front());
        paged_body_sizes_.pop_front();
    }
}

bool Queue::pages_next(bool stored_here) const {
    // Priority queues keep what they hold in memory (their order is not the paged tail's);
    // only a recovered one joins the tail it has until that is read back and sorted.
    return pager_ && (!paged_.empty() ||
                      (settings_.max_priority == 0 &&
                       pager_->should_page(resident_bytes_, stored_here)));
}

bool Queue::refill() {
    if (!ready_.empty()) return true;
    if (paged_.empty() || !pager_) return false;
    size_t before = paged_.size();
    if (settings_.max_priority > 0) {
        // A recovered priority queue: read it all back and order it by priority.
        while (!paged_.empty())
            resident_bytes_ += pager_->page_in(paged_, kRefillCount, kRefillBytes, ready_,
                                               next_seq_);
        for (QueuedMessage& m : ready_) m.priority = priority_of(*m.message);
        std::stable_sort(ready_.begin(), ready_.end(),
                         [](const QueuedMessage& a, const QueuedMessage& b) {
                             return a.priority > b.priority;
                         });
    } else {
        resident_bytes_ += pager_->page_in(paged_, kRefillCount, kRefillBytes, ready_, next_seq_);
    }
    if (tracks_bytes_) {
        // Bodies now in memory count by their real size.
        for (size_t n = before - paged_.size(); n > 0 && !paged_body_sizes_.empty(); --n) {
            remove_ready_bytes(paged_body_sizes_.front());
            paged_body_sizes_.pop_front();
        }
        for (const QueuedMessage& m : ready_) add_ready_bytes(m.message->body_size());
    }
    return !ready_.empty();
}

bool Queue::would_overflow(const Message& message) const {
    return (settings_.max_length >= 0 &&
            ready_count() + 1 > static_cast<uint64_t>(settings_.max_length)) ||
           (settings_.max_length_bytes >= 0 &&
            ready_bytes_ + message.body_size() > static_cast<uint64_t>(settings_.max_length_bytes));
}

void Queue::drop_head() {
    auto over = [this] {
        return (settings_.max_length >= 0 &&
                ready_count() > static_cast<uint64_t>(settings_.max_length)) ||
               (settings_.max_length_bytes >= 0 &&
                ready_bytes_ > static_cast<uint64_t>(settings_.max_length_bytes));
    };
    while (over()) {
        if (ready_.empty()) {
            if (paged_.empty()) return;
            if (!settings_.has_dead_letter_exchange() || !host_) {
                // Dropped without reading the body back.
                forget(paged_.front());
                pop_paged_front();
                continue;
            }
            if (!refill()) return;  // dead-lettering needs the body
        }
        discard(pop_ready(), DeathReason::MaxLen);
    }
}

void Queue::discard(QueuedMessage&& m, DeathReason reason) {
    if (host_ && settings_.has_dead_letter_exchange()) {
        host_->dead_letter(*this, std::move(m), reason, true);
        return;
    }
    forget(m);
}

void Queue::dead_letter_refused(MessageRef message) {
    if (!host_ || !settings_.has_dead_letter_exchange()) return;
    host_->dead_letter(*this, QueuedMessage{std::move(message), 0, 0, false}, DeathReason::MaxLen,
                       false);
}

void Queue::enqueue(MessageRef message) {
    if (deleted_) return;
    int64_t ttl = message->ttl_ms();
    if (settings_.message_ttl_ms >= 0 && (ttl < 0 || settings_.message_ttl_ms < ttl))
        ttl = settings_.message_ttl_ms;
    // A deadline of exactly now still allows immediate delivery (TTL 0 reaches a ready
    // consumer, RabbitMQ semantics); +1 keeps 0 meaning "never".
    int64_t expires = ttl >= 0 ? now_ms() + ttl + 1 : 0;
    QueuedMessage m{std::move(message), 0, expires, false};
    if (settings_.max_priority > 0) m.priority = priority_of(*m.message);
    push_tail(std::move(m));
    if (has_length_limit_) drop_head();
    if (!consumers_.empty() || expires) wake();
}

void Queue::push_tail(QueuedMessage m) {
    m.seq = next_seq_++;
    bool stored_here = in_log(*m.message);
    if (pages_next(stored_here)) {
        if (tracks_bytes_) {
            paged_body_sizes_.push_back(static_cast<uint32_t>(m.message->body_size()));
            add_ready_bytes(m.message->body_size());
        }
        paged_.push_back(pager_->page_out(m, stored_here));
    } else {
        push_ready(std::move(m));
    }
}

void Queue::enqueue_recovered(uint64_t store_id, store::Location location, bool redelivered,
                              uint32_t deliveries) {
    // A quorum queue's deliveries all became returns when it stopped (as RabbitMQ's
    // consumers, gone with the old process, return theirs): each one counts.
    auto count = static_cast<uint16_t>(std::min<uint32_t>(deliveries, UINT16_MAX));
    if (!is_quorum()) count = 0;
    paged_.push_back(PagedMessage{store_id, location,
                                  static_cast<uint8_t>(redelivered || count > 0), count, 0});
    if (tracks_bytes_) {
        paged_body_sizes_.push_back(location.length);
        add_ready_bytes(location.length);
    }
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
    if (settings_.max_priority > 0) return 0;  // priority queues stay in memory
    returned_at_head_ = std::min(returned_at_head_, keep);
    while (ready_.size() > keep) {
        QueuedMessage& m = ready_.back();
        uint64_t size = m.message->data().size();
        if (tracks_bytes_) paged_body_sizes_.push_front(static_cast<uint32_t>(m.message->body_size()));
        paged_.push_front(pager_->page_out(m, in_log(*m.message)));
        ready_.pop_back();
        freed += size;
    }
    resident_bytes_ -= std::min(resident_bytes_, freed);
    pager_->remove_resident(freed);
    return freed;
}

void Queue::note_delivered(const QueuedMessage& m) {
    // Classic queues record a first delivery (redelivered after a restart); quorum queues
    // every one, since each is a return, counted, once the queue recovers.
    if (in_log(*m.message) && (is_quorum() || !m.redelivered))
        log_->append_delivered(store_key_, m.message->store_id());
}

void Queue::remove_delivered(QueuedMessage&& m) {
    if (unacked_ > 0) --unacked_;
    forget(m);
}

void Queue::reject(QueuedMessage&& m) {
    if (unacked_ > 0) --unacked_;
    if (deleted_) {
        forget(m);
        return;
    }
    discard(std::move(m), DeathReason::Rejected);
}

size_t Queue::relocate(uint32_t segment) {
    if (!log_ || deleted_) return 0;
    size_t moved = 0;
    for (QueuedMessage& m : ready_) {
        const Message& old = *m.message;
        if (!in_log(old) || old.store_location().segment != segment) continue;
        store::Location at = log_->append_relocate(old.store_id(), store_key_, log_count(m),
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
        e.location = log_->append_relocate(e.store_id, store_key_,
                                           is_quorum() ? e.delivery_count : e.redelivered,
                                           rec.exchange, rec.routing_key, rec.data,
                                           rec.properties_size);
        log_->release(segment);
        ++moved;
    }
    return moved;
}

std::optional<QueuedMessage> Queue::get(bool no_ack) {
    touch();
    drop_expired(false);
    do {
        if (!refill()) return std::nullopt;
    } while (!head_deliverable());
    QueuedMessage m = pop_ready();
    if (no_ack) {
        forget(m);
    } else {
        ++unacked_;
        note_delivered(m);
    }
    return m;
}

void Queue::requeue(QueuedMessage message, Return why) {
    std::vector<QueuedMessage> one;
    one.push_back(std::move(message));
    requeue(std::move(one), why);
}

void Queue::requeue(std::vector<QueuedMessage> messages, Return why) {
    unacked_ -= std::min(unacked_, messages.size());
    if (deleted_) {
        for (auto& m : messages) forget(m);
        return;
    }
    if (messages.empty()) return;
    if (is_quorum()) {
        return_quorum(std::move(messages), why);
        return;
    }
    std::sort(messages.begin(), messages.end(),
              [](const QueuedMessage& a, const QueuedMessage& b) { return a.seq < b.seq; });
    uint64_t bytes = 0;
    for (auto& m : messages) {
        m.redelivered = true;
        bytes += m.message->data().size();
        if (tracks_bytes_) add_ready_bytes(m.message->body_size());
    }
    resident_bytes_ += bytes;
    if (pager_) pager_->add_resident(bytes);
    // Requeued messages are older than the paged tail (it is read back in order behind
    // everything in memory), so they always go back into the head. Usual case: they are
    // older than everything ready too.
    if (settings_.max_priority > 0) {
        for (auto& m : messages) {
            auto at = priority_position(m.priority, m.seq);
            ready_.insert(at, std::move(m));
        }
    } else if (ready_.empty() || messages.back().seq < ready_.front().seq) {
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
    // drop-head applies to requeued messages too (RabbitMQ's requeue_and_run).
    if (has_length_limit_ && settings_.overflow == Overflow::DropHead) drop_head();
    if (!consumers_.empty()) wake();
}

void Queue::return_quorum(std::vector<QueuedMessage> messages, Return why) {
    // rabbit_fifo 3.10: without a delivery limit, a requeue re-enqueues the message (the
    // tail); otherwise, and for a consumer that went away, returns queue up ahead of the
    // messages, in the order they came back. Either way the delivery count goes up.
    bool to_tail = why == Return::Requeued && settings_.delivery_limit < 0;
    for (QueuedMessage& m : messages) {
        m.redelivered = true;
        if (m.delivery_count < UINT32_MAX) ++m.delivery_count;
        if (over_delivery_limit(m.delivery_count)) {
            discard(std::move(m), DeathReason::DeliveryLimit);
            continue;
        }
        if (to_tail) {
            push_tail(std::move(m));
            continue;
        }
        uint64_t size = m.message->data().size();
        resident_bytes_ += size;
        if (pager_) pager_->add_resident(size);
        if (tracks_bytes_) add_ready_bytes(m.message->body_size());
        ready_.insert(ready_.begin() + static_cast<std::ptrdiff_t>(returned_at_head_),
                      std::move(m));
        ++returned_at_head_;
    }
    if (has_length_limit_ && settings_.overflow == Overflow::DropHead) drop_head();
    if (!consumers_.empty()) wake();
}

bool Queue::head_deliverable() {
    if (!is_quorum() || !over_delivery_limit(ready_.front().delivery_count)) return true;
    discard(pop_ready(), DeathReason::DeliveryLimit);
    return false;
}

size_t Queue::purge() {
    size_t n = ready_count();
    returned_at_head_ = 0;
    for (const auto& m : ready_) forget(m);
    for (const auto& m : paged_) forget(m);
    ready_.clear();
    paged_.clear();
    paged_body_sizes_.clear();
    ready_bytes_ = 0;
    if (pager_) pager_->remove_resident(resident_bytes_);
    resident_bytes_ = 0;
    return n;
}

void Queue::add_consumer(Consumer* consumer) {
    // Kept ordered by priority, highest first; equal priorities in arrival order. With a
    // single active consumer, arrival order only: the first is the active one.
    auto at = settings_.single_active_consumer
                  ? consumers_.end()
                  : std::find_if(consumers_.begin(), consumers_.end(), [&](const Consumer* c) {
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
    bool was_active = it == consumers_.begin();
    consumers_.erase(it);
    if (consumer->is_exclusive()) exclusive_consumer_ = false;
    if (consumers_.empty()) touch();
    // Single active consumer: the next in line takes over.
    if (settings_.single_active_consumer && was_active && !consumers_.empty()) wake();
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
    bool dead_letters = host_ && settings_.has_dead_letter_exchange();
    for (;;) {
        while (!ready_.empty() && expired(ready_.front().expires_ms))
            discard(pop_ready(), DeathReason::Expired);
        // Expired messages of the paged tail go without being read back, unless they are
        // dead-lettered.
        if (!ready_.empty() || paged_.empty() || !expired(paged_.front().expires_ms)) return;
        if (dead_letters) {
            if (!refill()) return;
            continue;
        }
        forget(paged_.front());
        pop_paged_front();
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
                discard(pop_ready(), DeathReason::Expired);
                continue;
            }
        }
        if (!head_deliverable()) continue;
        // The first consumer able to take it, in priority order; within a priority the one
        // served goes to the back of its group, which makes plain round-robin.
        if (settings_.single_active_consumer) {
            // Only the first consumer receives; the others wait their turn.
            Consumer* active = consumers_.front();
            if (!active->can_accept()) return;
            QueuedMessage m = pop_ready();
            if (active->is_no_ack()) {
                forget(m);
            } else {
                ++unacked_;
                note_delivered(m);
            }
            active->deliver(*this, std::move(m));
            continue;
        }
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
    loop_.cancel_timer(idle_timer_);
    purge();
    auto consumers = std::move(consumers_);
    consumers_.clear();
    for (Consumer* c : consumers) c->on_queue_deleted(*this);
}

}  // namespace warren::broker
