#include "warren/broker/message_pager.h"

#include "warren/amqp/codec.h"
#include "warren/util/log.h"

#include <algorithm>

namespace warren::broker {
namespace {

spdlog::logger& log() { return util::logger("broker"); }

constexpr uint64_t kMaxRun = 4 << 20;   // one pread reads at most this much
constexpr uint64_t kMaxGap = 64 << 10;  // other queues' records a run may read over
constexpr uint8_t kPersistent = 1;

}  // namespace

MessagePager::MessagePager(net::EventLoop& loop, std::string page_dir, store::MessageLog* log,
                           uint64_t budget_bytes, uint64_t stored_queue_bytes)
    : log_(log), page_file_(loop, std::move(page_dir)), budget_(budget_bytes),
      stored_queue_bytes_(stored_queue_bytes) {}

PagedMessage MessagePager::page_out(const QueuedMessage& m, bool in_log) {
    ++paged_out_;
    const Message& msg = *m.message;
    PagedMessage out;
    out.redelivered = m.redelivered ? 1 : 0;
    out.delivery_count = static_cast<uint16_t>(std::min<uint32_t>(m.delivery_count, UINT16_MAX));
    out.expires_ms = m.expires_ms;
    if (in_log) {
        out.store_id = msg.store_id();
        out.location = msg.store_location();
        return out;
    }
    // Page file blob: flags, exchange, routing key, properties size, then properties+body.
    blob_head_.clear();
    amqp::Writer w(blob_head_);
    w.u8(msg.is_persistent() ? kPersistent : 0);
    w.shortstr(msg.exchange());
    w.shortstr(msg.routing_key());
    w.u32(msg.properties_size());
    out.location = page_file_.write(
        std::string_view(reinterpret_cast<const char*>(blob_head_.data()), blob_head_.size()),
        msg.data().view());
    return out;
}

void MessagePager::discard(const PagedMessage& m) {
    if (m.store_id == 0) page_file_.release(m.location.segment);
}

uint64_t MessagePager::page_in(std::deque<PagedMessage>& paged, size_t max_count,
                               uint64_t max_bytes, std::deque<QueuedMessage>& ready,
                               uint64_t& next_seq) {
    uint64_t added = 0;
    size_t taken = 0;
    while (!paged.empty() && taken < max_count && added < max_bytes) {
        // A run: entries of one file and segment lying close together, read with one pread.
        const PagedMessage& first = paged.front();
        bool in_log = first.store_id != 0;
        uint64_t start = first.location.offset;
        uint64_t end = start + first.location.length;
        size_t run = 1;
        while (run < paged.size() && taken + run < max_count) {
            const PagedMessage& e = paged[run];
            if ((e.store_id != 0) != in_log || e.location.segment != first.location.segment ||
                e.location.offset < end || e.location.offset - end > kMaxGap ||
                e.location.offset + e.location.length - start > kMaxRun)
                break;
            end = e.location.offset + e.location.length;
            ++run;
        }
        read_buffer_.resize(end - start);
        bool ok = in_log ? (log_ && log_->read(first.location.segment,
                                               static_cast<uint32_t>(start),
                                               static_cast<uint32_t>(end - start),
                                               read_buffer_.data()))
                         : page_file_.read(first.location.segment, static_cast<uint32_t>(start),
                                           static_cast<uint32_t>(end - start),
                                           read_buffer_.data());
        for (size_t i = 0; i < run; ++i) {
            PagedMessage e = paged.front();
            paged.pop_front();
            ++taken;
            std::string_view blob(read_buffer_.data() + (e.location.offset - start),
                                  e.location.length);
            MessageRef message;
            if (ok && in_log) {
                store::PublishRecord rec;
                if (store::MessageLog::decode_publish(blob, rec) && rec.id == e.store_id) {
                    message = MessageRef::make(std::string(rec.exchange),
                                               std::string(rec.routing_key),
                                               util::SharedBytes::copy_of(rec.data),
                                               rec.properties_size, true);
                    message->set_stored(e.store_id, e.location);
                }
            } else if (ok) {
                amqp::Reader r(reinterpret_cast<const uint8_t*>(blob.data()), blob.size());
                uint8_t flags = r.u8();
                std::string_view exchange = r.shortstr();
                std::string_view routing_key = r.shortstr();
                uint32_t properties_size = r.u32();
                std::string_view data = r.bytes(r.remaining());
                if (r.ok() && properties_size <= data.size())
                    message = MessageRef::make(std::string(exchange), std::string(routing_key),
                                               util::SharedBytes::copy_of(data),
                                               properties_size, (flags & kPersistent) != 0);
            }
            if (!in_log) page_file_.release(e.location.segment);
            if (!message) {
                // Left on disk: a logged message comes back at the next start.
                ++read_failures_;
                log().error("cannot read back a paged-out message ({} segment {} offset {})",
                            in_log ? "message log" : "page file", e.location.segment,
                            e.location.offset);
                continue;
            }
            ++paged_in_;
            added += message->data().size();
            ready.push_back(QueuedMessage{std::move(message), next_seq++, e.expires_ms,
                                          e.redelivered != 0, 0, e.delivery_count});
        }
    }
    resident_ += added;
    return added;
}

}  // namespace warren::broker
