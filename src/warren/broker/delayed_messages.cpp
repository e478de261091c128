#include "warren/broker/delayed_messages.h"

#include "warren/amqp/field_table.h"
#include "warren/amqp/methods.h"
#include "warren/broker/exchange.h"
#include "warren/broker/queue.h"
#include "warren/broker/sender_selected.h"
#include "warren/broker/vhost.h"
#include "warren/store/message_log.h"
#include "warren/store/page_file.h"
#include "warren/util/log.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

namespace warren::broker {
namespace {

spdlog::logger& log() { return util::logger("broker"); }

constexpr std::string_view kKeyPrefix{"\x01x-delayed\0", 11};
constexpr size_t kBatchCount = 4096;         // messages released per loop turn at most
constexpr uint64_t kBatchBytes = 2 << 20;    // and about this many bytes of records
constexpr uint64_t kMaxRun = 4 << 20;        // one pread reads at most this much
// Unrelated bytes a run may read over: about what a pread call costs in copying. Due times
// are random with respect to publish order, so the bodies due together are scattered, and
// reading over wide gaps copied mostly bytes nobody wanted.
constexpr uint64_t kMaxGap = 4 << 10;
constexpr uint64_t kMaxGapBytes = 2 << 20;   // read over gaps per batch at most
// Read space kept between batches: a batch reads at most kBatchBytes of records and
// kMaxGapBytes of gaps, so a full one needs no fresh (page-faulting) allocation.
constexpr size_t kKeptArenaBytes = 4 << 20;

/// Where a batch's bodies are read to: shared by the exchanges of the loop thread (one
/// releases at a time) and reused, so that a batch neither zero-fills fresh buffers nor
/// page-faults them in.
struct ReadArena {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;

    char* reserve(size_t bytes) {
        if (bytes > capacity) {
            capacity = std::max(bytes, capacity * 2);
            data = std::make_unique_for_overwrite<char[]>(capacity);
        }
        return data.get();
    }
    void trim() {
        if (capacity <= kKeptArenaBytes) return;
        data.reset();
        capacity = 0;
    }
};
thread_local ReadArena read_arena;

/// The plugin's reading of an x-delay value (rabbit_delayed_message_utils:get_delay/1):
/// integer types as they are, strings parsed as integers, floats and decimals truncated.
std::optional<int64_t> delay_value(const amqp::FieldValue& v) {
    int64_t i = 0;
    if (v.as_int(i)) return i;
    if (const auto* s = v.string()) {
        const char* end = s->data() + s->size();
        auto [ptr, ec] = std::from_chars(s->data(), end, i);
        if (ec != std::errc() || ptr != end) return std::nullopt;
        return i;
    }
    double d = 0;
    if (const auto* f = v.get_if<float>()) d = *f;
    else if (const auto* x = v.get_if<double>()) d = *x;
    else if (const auto* dec = v.get_if<amqp::Decimal>())
        d = dec->value / std::pow(10.0, dec->scale);
    else
        return std::nullopt;
    if (!std::isfinite(d) || std::fabs(d) > 9e18) return std::nullopt;
    return static_cast<int64_t>(std::trunc(d));
}

/// RabbitMQ's reading of the expiration property (a non-negative decimal integer); -1
/// when absent or invalid (a publish with an invalid one was refused already).
int64_t expiration_ms(const amqp::BasicProperties& props) {
    if (!props.has(amqp::BasicProperties::kExpiration)) return -1;
    int64_t ms = 0;
    std::string_view text = props.expiration;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    return ec == std::errc() && ptr == text.data() + text.size() && ms >= 0 ? ms : -1;
}

}  // namespace

DelayedMessages::DelayedMessages(net::EventLoop& loop, Vhost& vhost, Exchange& exchange,
                                 bool durable, store::MessageLog* log,
                                 store::PageFile* page_file)
    : loop_(loop), vhost_(vhost), exchange_(exchange), durable_(durable), log_(log),
      page_file_(page_file),
      store_key_(store_key_for(vhost.name(), exchange.name())) {}

DelayedMessages::~DelayedMessages() {
    // The exchange was deleted (or the broker is stopping: the log is closed by then and
    // records nothing, so durable messages survive the stop).
    timer_.drain([&](const DelayedEntry& e) { forget(e); });
    if (log_ && logged_any_) log_->append_drop_queue(store_key_);
}

std::string DelayedMessages::store_key_for(std::string_view vhost, std::string_view exchange) {
    std::string key(kKeyPrefix);
    key.append(vhost);
    key.push_back('\0');
    key.append(exchange);
    return key;
}

bool DelayedMessages::parse_store_key(std::string_view key, std::string_view& vhost,
                                      std::string_view& exchange) {
    if (!key.starts_with(kKeyPrefix)) return false;
    key.remove_prefix(kKeyPrefix.size());
    size_t sep = key.find('\0');
    if (sep == std::string_view::npos) return false;
    vhost = key.substr(0, sep);
    exchange = key.substr(sep + 1);
    return true;
}

int64_t DelayedMessages::wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int64_t DelayedMessages::wall_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<int64_t> DelayedMessages::next_due_ms() const {
    if (timer_.empty()) return std::nullopt;
    return timer_.top().due_ms;
}

std::optional<int64_t> DelayedMessages::delay_of(const amqp::RawTable& headers) {
    if (headers.empty()) return std::nullopt;
    amqp::FieldTable table;
    if (!amqp::decode_table(headers.bytes, table)) return std::nullopt;
    const amqp::FieldValue* v = table.find("x-delay");
    if (!v) return std::nullopt;
    auto delay = delay_value(*v);
    if (!delay || *delay <= 0 || *delay > kMaxDelayMs) return std::nullopt;
    return delay;
}

std::optional<uint64_t> DelayedMessages::hold_if_delayed(const Message& message) {
    amqp::BasicProperties props;
    amqp::Reader r(message.properties());
    if (!props.decode(r) || !props.has(amqp::BasicProperties::kHeaders)) return std::nullopt;
    auto delay = delay_of(props.headers);
    if (!delay) return std::nullopt;
    return hold(message, *delay);
}

uint64_t DelayedMessages::hold(const Message& message, int64_t delay_ms) {
    // x-delay becomes -delay (a signedint, as rabbit_delayed_message_utils:swap_delay_header
    // sets it), so that an exchange further on does not delay it again and consumers can
    // tell it was delayed.
    amqp::BasicProperties props;
    amqp::Reader pr(message.properties());
    props.decode(pr);
    amqp::FieldTable headers;
    amqp::decode_table(props.headers.bytes, headers);
    if (-delay_ms >= INT32_MIN)
        headers.set("x-delay", amqp::FieldValue(static_cast<int32_t>(-delay_ms)));
    else
        headers.set("x-delay", amqp::FieldValue(-delay_ms));
    // The plugin routes the released message by its CC and BCC keys too. The channel took
    // BCC out of the headers already (its keys follow CC's in extra_routing_keys()), so the
    // held copy carries it again, to be read and removed at release.
    std::vector<std::string> cc;
    append_sender_selected_keys(headers.find("CC"), cc);
    const std::vector<std::string>& extra = message.extra_routing_keys();
    if (extra.size() > cc.size()) {
        amqp::FieldArray bcc;
        for (size_t i = cc.size(); i < extra.size(); ++i) bcc.emplace_back(extra[i]);
        headers.set("BCC", amqp::FieldValue(std::move(bcc)));
    }
    util::ByteBuffer table;
    amqp::encode_table_body(headers, table);
    props.headers = amqp::RawTable{
        std::string_view(reinterpret_cast<const char*>(table.data()), table.size())};
    util::ByteBuffer encoded;
    amqp::Writer w(encoded);
    props.encode(w);
    std::string_view body = message.body();
    std::string data;
    data.reserve(encoded.size() + body.size());
    data.append(reinterpret_cast<const char*>(encoded.data()), encoded.size());
    data.append(body);
    auto properties_size = static_cast<uint32_t>(encoded.size());

    DelayedEntry e;
    e.due_ms = wall_ms() + delay_ms;
    e.id = log_ ? log_->next_id() : next_id_++;
    uint64_t durable_at = 0;
    if (durable_ && log_ && message.is_persistent()) {
        // The due time first: a publish record recovered without it is released at once.
        log_->append_delay_due(e.id, e.due_ms);
        e.location = log_->append_publish(e.id, {store_key_}, message.exchange(),
                                          message.routing_key(), data, properties_size);
        e.flags = kInLog | kPersistent;
        logged_any_ = true;
        durable_at = log_->position();
    } else if (page_file_) {
        head_.clear();
        amqp::Writer hw(head_);
        hw.shortstr(message.exchange());
        hw.shortstr(message.routing_key());
        hw.u32(properties_size);
        e.location = page_file_->write(
            std::string_view(reinterpret_cast<const char*>(head_.data()), head_.size()), data);
        e.flags = kInPageFile | (message.is_persistent() ? uint32_t{kPersistent} : 0u);
    } else {
        resident_.emplace(e.id, MessageRef::make(message.exchange(), message.routing_key(),
                                                 util::SharedBytes::copy_of(data),
                                                 properties_size, message.is_persistent()));
        e.flags = kResident | (message.is_persistent() ? uint32_t{kPersistent} : 0u);
    }
    timer_.push(e);
    arm();
    return durable_at;
}

void DelayedMessages::restore(uint64_t id, store::Location location, int64_t due_ms) {
    DelayedEntry e;
    e.due_ms = due_ms < 0 ? 0 : due_ms;
    e.id = id;
    e.location = location;
    e.flags = kInLog | kPersistent | (e.due_ms <= wall_ms() ? uint32_t{kDueBeforeStart} : 0u);
    logged_any_ = true;
    timer_.push(e);
    arm();
}

void DelayedMessages::arm() {
    if (timer_.empty()) {
        if (armed_due_ms_ != INT64_MAX) loop_.cancel_timer(*this);
        armed_due_ms_ = INT64_MAX;
        return;
    }
    int64_t due = timer_.top().due_ms;
    if (due >= armed_due_ms_) return;  // the armed timer fires first and re-arms
    armed_due_ms_ = due;
    // In µs: a wait in whole ms from a truncated now would fire up to 1 ms late.
    int64_t wait_us = std::max<int64_t>(0, due * 1000 - wall_us());
    loop_.schedule_at(*this, net::EventLoop::Clock::now() + std::chrono::microseconds(wait_us));
}

void DelayedMessages::run_turn_task() {
    armed_due_ms_ = INT64_MAX;
    batch_.clear();
    timer_.pop_due(wall_ms(), kBatchCount, kBatchBytes, batch_);
    if (!batch_.empty()) release(batch_);
    arm();
}

void DelayedMessages::read_bodies(const std::vector<DelayedEntry>& batch) {
    blobs_.assign(batch.size(), std::string_view());
    std::vector<uint32_t>& order = order_;
    order.clear();
    for (uint32_t i = 0; i < batch.size(); ++i)
        if (!(batch[i].flags & kResident)) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        const DelayedEntry& x = batch[a];
        const DelayedEntry& y = batch[b];
        if ((x.flags & kInLog) != (y.flags & kInLog)) return (x.flags & kInLog) != 0;
        if (x.location.segment != y.location.segment)
            return x.location.segment < y.location.segment;
        return x.location.offset < y.location.offset;
    });
    // Runs of neighbouring records first, so that one arena holds them all.
    runs_.clear();
    size_t total = 0;
    uint64_t gap_budget = kMaxGapBytes;
    for (size_t at = 0; at < order.size();) {
        const DelayedEntry& first = batch[order[at]];
        bool in_log = (first.flags & kInLog) != 0;
        uint64_t start = first.location.offset;
        uint64_t end = start + first.location.length;
        size_t count = 1;
        while (at + count < order.size()) {
            const DelayedEntry& e = batch[order[at + count]];
            if (((e.flags & kInLog) != 0) != in_log ||
                e.location.segment != first.location.segment || e.location.offset < end ||
                e.location.offset - end > std::min(kMaxGap, gap_budget) ||
                e.location.offset + e.location.length - start > kMaxRun)
                break;
            gap_budget -= e.location.offset - end;
            end = e.location.offset + e.location.length;
            ++count;
        }
        runs_.push_back(Run{at, count, start, end});
        total += end - start;
        at += count;
    }
    char* arena = read_arena.reserve(total);
    for (const Run& run : runs_) {
        const DelayedEntry& first = batch[order[run.first]];
        auto offset = static_cast<uint32_t>(run.start);
        auto length = static_cast<uint32_t>(run.end - run.start);
        bool ok = (first.flags & kInLog)
                      ? log_ && log_->read(first.location.segment, offset, length, arena)
                      : page_file_ &&
                            page_file_->read(first.location.segment, offset, length, arena);
        if (ok)
            for (size_t i = run.first; i < run.first + run.count; ++i) {
                const DelayedEntry& e = batch[order[i]];
                blobs_[order[i]] =
                    std::string_view(arena + (e.location.offset - run.start), e.location.length);
            }
        arena += length;
    }
}

void DelayedMessages::release(const std::vector<DelayedEntry>& batch) {
    read_bodies(batch);
    for (size_t i = 0; i < batch.size(); ++i) {
        const DelayedEntry& e = batch[i];
        bool persistent = (e.flags & kPersistent) != 0;
        bool ok = false;
        if (e.flags & kResident) {
            auto it = resident_.find(e.id);
            if (it != resident_.end()) {
                MessageRef m = std::move(it->second);
                resident_.erase(it);
                route(m->exchange(), m->routing_key(), m->data(), m->properties_size(),
                      persistent);
                ok = true;
            }
        } else if (e.flags & kInLog) {
            store::PublishRecord rec;
            ok = store::MessageLog::decode_publish(blobs_[i], rec) && rec.id == e.id;
            if (ok)
                route(std::string(rec.exchange), std::string(rec.routing_key),
                      util::SharedBytes::copy_of(rec.data), rec.properties_size, persistent);
        } else if (!blobs_[i].empty()) {
            amqp::Reader r(reinterpret_cast<const uint8_t*>(blobs_[i].data()), blobs_[i].size());
            std::string_view exchange = r.shortstr();
            std::string_view routing_key = r.shortstr();
            uint32_t properties_size = r.u32();
            std::string_view data = r.bytes(r.remaining());
            ok = r.ok() && properties_size <= data.size();
            if (ok)
                route(std::string(exchange), std::string(routing_key),
                      util::SharedBytes::copy_of(data), properties_size, persistent);
        }
        if (!ok) {
            // A logged body stays in the log and is tried again after a restart.
            log().error("exchange '{}' in vhost '{}': cannot read back a delayed message "
                        "(segment {} offset {})",
                        exchange_.name(), vhost_.name(), e.location.segment, e.location.offset);
            if (!(e.flags & kInLog)) forget(e);
            continue;
        }
        forget(e);
        if (e.flags & kDueBeforeStart)
            ++released_overdue_;
        else
            lateness_us_.record(
                static_cast<uint64_t>(std::max<int64_t>(0, wall_us() - e.due_ms * 1000)));
    }
    blobs_.clear();
    read_arena.trim();
}

void DelayedMessages::route(std::string exchange, std::string routing_key,
                            util::SharedBytes data, uint32_t properties_size, bool persistent) {
    amqp::BasicProperties props;
    amqp::Reader pr(data.view().substr(0, properties_size));
    props.decode(pr);
    std::vector<std::string> extra_keys;
    std::string_view raw_headers = props.headers.bytes;
    if (raw_headers.find("\x02" "CC") != std::string_view::npos ||
        raw_headers.find("\x03" "BCC") != std::string_view::npos)
        take_sender_selected_keys(props, data, properties_size, extra_keys);
    // Published anew from here on: a per-message TTL starts at release.
    MessageRef message = MessageRef::make(std::move(exchange), std::move(routing_key),
                                          std::move(data), properties_size, persistent,
                                          expiration_ms(props));
    message->set_extra_routing_keys(std::move(extra_keys));
    // Published anew through the exchange's bindings: routing, length limits, the log
    // record for durable queues and dead-lettering all as for a client's publish.
    vhost_.publish(exchange_, message);
}

void DelayedMessages::take_sender_selected_keys(amqp::BasicProperties& props,
                                                util::SharedBytes& data,
                                                uint32_t& properties_size,
                                                std::vector<std::string>& keys) {
    amqp::FieldTable headers;
    if (!amqp::decode_table(props.headers.bytes, headers)) return;
    const amqp::FieldValue* bcc = headers.find("BCC");
    append_sender_selected_keys(headers.find("CC"), keys);
    append_sender_selected_keys(bcc, keys);
    if (!bcc) return;
    headers.erase("BCC");
    util::ByteBuffer table;
    amqp::encode_table_body(headers, table);
    props.headers = amqp::RawTable{
        std::string_view(reinterpret_cast<const char*>(table.data()), table.size())};
    util::ByteBuffer encoded;
    amqp::Writer w(encoded);
    props.encode(w);
    std::string_view body = data.view().substr(properties_size);
    std::string rebuilt;
    rebuilt.reserve(encoded.size() + body.size());
    rebuilt.append(reinterpret_cast<const char*>(encoded.data()), encoded.size());
    rebuilt.append(body);
    properties_size = static_cast<uint32_t>(encoded.size());
    data = util::SharedBytes::copy_of(rebuilt);
    props = amqp::BasicProperties();
    amqp::Reader pr(data.view().substr(0, properties_size));
    props.decode(pr);  // views into the new data, not the scratch buffers
}

void DelayedMessages::forget(const DelayedEntry& e) {
    if (e.flags & kInLog) {
        if (!log_) return;
        log_->append_remove(store_key_, e.id);
        log_->release(e.location.segment);
    } else if (e.flags & kInPageFile) {
        if (page_file_) page_file_->release(e.location.segment);
    } else {
        resident_.erase(e.id);
    }
}

size_t DelayedMessages::relocate(uint32_t segment) {
    if (!log_) return 0;
    size_t moved = 0;
    std::string buffer;
    timer_.for_each([&](DelayedEntry& e) {
        if (!(e.flags & kInLog) || e.location.segment != segment) return;
        buffer.resize(e.location.length);
        store::PublishRecord rec;
        if (!log_->read(e.location.segment, e.location.offset, e.location.length,
                        buffer.data()) ||
            !store::MessageLog::decode_publish(buffer, rec) || rec.id != e.id)
            return;  // left where it is: the segment stays
        store::Location at = log_->append_relocate(e.id, store_key_, 0, rec.exchange,
                                                   rec.routing_key, rec.data,
                                                   rec.properties_size);
        log_->append_delay_due(e.id, e.due_ms);
        log_->release(segment);
        e.location = at;
        ++moved;
    });
    return moved;
}

}  // namespace warren::broker
