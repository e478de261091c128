#include "warren/store/message_log.h"

#include "warren/amqp/codec.h"
#include "warren/store/atomic_file.h"
#include "warren/util/crc32c.h"
#include "warren/util/log.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <filesystem>
#include <stdexcept>

namespace warren::store {
namespace {

spdlog::logger& log() { return util::logger("store"); }

// kRelocate: one queue's copy of a message moved out of an old segment (compaction); same
// id, so recovery keeps its place in the queue.
enum RecordType : uint8_t {
    kPublish = 1,
    kRemove = 2,
    kDelivered = 3,
    kDropQueue = 4,
    kRelocate = 5,
    // Only in a sealed segment's index file (NNN.idx): a publish or relocate record's
    // metadata and where it is, without the body; and the index's last record.
    kPublishAt = 6,
    kRelocateAt = 7,
    kIndexEnd = 8,
    // A delayed message's due time (u64 id, i64 wall clock ms); in segments and indexes.
    kDelayDue = 9,
};
constexpr size_t kRecordHeader = 8;  // u32 payload length, u32 crc32c(payload)
constexpr uint32_t kMaxRecord = 1u << 30;

void put_u32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

uint32_t get_u32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void put_key(amqp::Writer& w, std::string_view key) {
    w.u16(static_cast<uint16_t>(key.size()));
    w.bytes(key);
}

std::string_view get_key(amqp::Reader& r) { return r.bytes(r.u16()); }

/// Segments and their index files frame records alike: [u32 length][u32 crc32c] payload.
/// open_frame() reserves the header and returns where it starts; close_frame() fills it in
/// over what was written since and returns the payload length.
size_t open_frame(util::ByteBuffer& out) {
    size_t start = out.size();
    std::memset(out.prepare(kRecordHeader), 0, kRecordHeader);
    out.commit(kRecordHeader);
    return start;
}

size_t close_frame(util::ByteBuffer& out, size_t start) {
    size_t len = out.size() - start - kRecordHeader;
    uint8_t head[kRecordHeader];
    put_u32(head, static_cast<uint32_t>(len));
    put_u32(head + 4, util::crc32c(out.data() + start + kRecordHeader, len));
    out.patch(start, head, kRecordHeader);
    return len;
}

/// Recovery's picture of the log: one small entry per message (no bodies), in id order,
/// which is append order, so a remove finds its message by binary search.
class RecoveryIndex {
public:
    void publish(uint64_t id, Location loc, const std::vector<std::string_view>& queues) {
        Rec rec{id, loc, 0, kIsLive};
        if (queues.size() == 1) {
            rec.queue = key(queues[0]);
        } else {
            rec.flags |= kHasMany;
            rec.queue = static_cast<uint32_t>(multi_.size());
            auto& holders = multi_.emplace_back();
            for (std::string_view q : queues) holders.push_back({key(q), false, loc});
        }
        if (!recs_.empty() && recs_.back().id >= id) {
            // Never written so by this log; kept correct rather than fast.
            if (Rec* old = find(id)) {
                *old = rec;
            } else {
                late_[id] = rec;
            }
            return;
        }
        recs_.push_back(rec);
    }

    /// One queue's copy now lives at `loc`. The original may be gone (its segment deleted
    /// after the move) or still there.
    /// `deliveries`: the relocate record's delivered byte, the copy's delivery count when
    /// it moved (capped at 255; older logs wrote 0 or 1). Delivered records seen before
    /// it may be fewer (their segments may be gone), never more.
    void relocate(uint64_t id, Location loc, std::string_view queue, uint32_t deliveries) {
        uint32_t k = key(queue);
        bool delivered = deliveries > 0;
        Rec* rec = find(id);
        if (!rec) {
            // Out of id order: kept aside and merged back in emit().
            late_[id] = Rec{id, loc, k, flags_for(delivered), deliveries};
            return;
        }
        if (!(rec->flags & kHasMany)) {
            if (rec->queue == k || !(rec->flags & kIsLive)) {
                uint32_t seen = rec->queue == k && (rec->flags & kIsLive) ? rec->deliveries : 0;
                *rec = Rec{id, loc, k, flags_for(delivered), std::max(seen, deliveries)};
                if (rec->deliveries > 0) rec->flags |= kWasDelivered;
                return;
            }
            // Another queue still holds the original: become a multi-holder entry.
            auto index = static_cast<uint32_t>(multi_.size());
            multi_.push_back({Holder{rec->queue, (rec->flags & kWasDelivered) != 0, rec->loc,
                                     rec->deliveries}});
            rec->queue = index;
            rec->flags = kIsLive | kHasMany;
        }
        auto& holders = multi_[rec->queue];
        for (Holder& h : holders) {
            if (h.key != k) continue;
            h.loc = loc;
            h.deliveries = std::max(h.deliveries, deliveries);
            h.delivered = h.delivered || delivered;
            return;
        }
        holders.push_back(Holder{k, delivered, loc, deliveries});
        rec->flags |= kIsLive;
    }

    /// A remove (delivered = false) or delivered record for `queue`.
    void mark(std::string_view queue, uint64_t id, bool delivered) {
        auto k = key_index_.find(queue);
        if (k == key_index_.end()) return;
        Rec* rec = find(id);
        if (!rec || !(rec->flags & kIsLive)) return;
        if (!(rec->flags & kHasMany)) {
            if (rec->queue != k->second) return;
            rec->flags = static_cast<uint8_t>(delivered ? rec->flags | kWasDelivered
                                                        : rec->flags & ~kIsLive);
            if (delivered && rec->deliveries < UINT32_MAX) ++rec->deliveries;
            return;
        }
        auto& holders = multi_[rec->queue];
        for (size_t i = 0; i < holders.size(); ++i) {
            if (holders[i].key != k->second) continue;
            if (delivered) {
                holders[i].delivered = true;
                if (holders[i].deliveries < UINT32_MAX) ++holders[i].deliveries;
            } else {
                holders.erase(holders.begin() + static_cast<ptrdiff_t>(i));
                if (holders.empty()) rec->flags &= static_cast<uint8_t>(~kIsLive);
            }
            return;
        }
    }

    void drop_queue(std::string_view queue) {
        auto k = key_index_.find(queue);
        if (k == key_index_.end()) return;
        for (auto& [id, rec] : late_) drop_from(rec, k->second);
        for (Rec& rec : recs_) drop_from(rec, k->second);
    }

    /// A delayed message's due time; a relocated message has it twice (same value).
    void due(uint64_t id, int64_t due_ms) { dues_.emplace_back(id, due_ms); }

    /// Calls `found` for every queue's copy of every live message, in publish order.
    size_t emit(const std::function<void(const RecoveredEntry&)>& found) {
        std::sort(dues_.begin(), dues_.end());
        auto due_of = [&](uint64_t id) -> int64_t {
            if (dues_.empty()) return -1;
            auto at = std::lower_bound(dues_.begin(), dues_.end(), std::pair<uint64_t, int64_t>{
                                                                       id, INT64_MIN});
            return at != dues_.end() && at->first == id ? at->second : -1;
        };
        size_t live = 0;
        auto late = late_.begin();
        auto one = [&](const Rec& rec) {
            if (!(rec.flags & kIsLive)) return;
            ++live;
            int64_t due = due_of(rec.id);
            if (!(rec.flags & kHasMany)) {
                found({rec.id, rec.loc, keys_[rec.queue], (rec.flags & kWasDelivered) != 0, due,
                       rec.deliveries});
                return;
            }
            for (const Holder& h : multi_[rec.queue])
                found({rec.id, h.loc, keys_[h.key], h.delivered, due, h.deliveries});
        };
        for (const Rec& rec : recs_) {
            for (; late != late_.end() && late->first < rec.id; ++late) one(late->second);
            one(rec);
        }
        for (; late != late_.end(); ++late) one(late->second);
        return live;
    }

private:
    enum : uint8_t { kIsLive = 1, kWasDelivered = 2, kHasMany = 4 };
    struct Rec {
        uint64_t id;
        Location loc;
        uint32_t queue;  // key index, or index into multi_ with kHasMany
        uint8_t flags;
        uint32_t deliveries = 0;  // delivered records (fits the padding: still 32 bytes)
    };
    struct Holder {
        uint32_t key;
        bool delivered;
        Location loc;  // differs from the message's once this copy was relocated
        uint32_t deliveries = 0;
    };

    static uint8_t flags_for(bool delivered) {
        return static_cast<uint8_t>(kIsLive | (delivered ? kWasDelivered : 0));
    }

    void drop_from(Rec& rec, uint32_t k) {
        if (!(rec.flags & kIsLive)) return;
        if (!(rec.flags & kHasMany)) {
            if (rec.queue == k) rec.flags &= static_cast<uint8_t>(~kIsLive);
            return;
        }
        auto& holders = multi_[rec.queue];
        std::erase_if(holders, [&](const Holder& h) { return h.key == k; });
        if (holders.empty()) rec.flags &= static_cast<uint8_t>(~kIsLive);
    }
    struct KeyHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    uint32_t key(std::string_view q) {
        auto it = key_index_.find(q);
        if (it != key_index_.end()) return it->second;
        auto index = static_cast<uint32_t>(keys_.size());
        keys_.emplace_back(q);
        key_index_.emplace(std::string(q), index);
        return index;
    }

    Rec* find(uint64_t id) {
        auto at = std::lower_bound(recs_.begin(), recs_.end(), id,
                                   [](const Rec& r, uint64_t v) { return r.id < v; });
        if (at != recs_.end() && at->id == id) return &*at;
        auto late = late_.find(id);
        return late != late_.end() ? &late->second : nullptr;
    }

    std::vector<Rec> recs_;
    std::vector<std::pair<uint64_t, int64_t>> dues_;  // id, due time of delayed messages
    std::map<uint64_t, Rec> late_;  // ids found out of order (relocated copies)
    std::vector<std::vector<Holder>> multi_;
    std::deque<std::string> keys_;  // stable addresses for the emitted views
    std::unordered_map<std::string, uint32_t, KeyHash, std::equal_to<>> key_index_;
};

}  // namespace

MessageLog::MessageLog(net::EventLoop& loop, std::string dir, uint64_t segment_size)
    : loop_(loop), dir_(std::move(dir)), segment_size_(segment_size) {
    std::filesystem::create_directories(dir_);
    event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (event_fd_ < 0) throw std::runtime_error("store: eventfd failed");
    loop_.add(event_fd_, EPOLLIN, this);
    syncer_ = std::thread([this] { sync_loop(); });
}

MessageLog::~MessageLog() {
    loop_.cancel(*this);
    write_out();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    syncer_.join();
    if (fd_ >= 0) {
        ::fdatasync(fd_);
        ::close(fd_);
    }
    for (auto& [segment, fd] : read_fds_) ::close(fd);
    loop_.remove(event_fd_);
    ::close(event_fd_);
}

std::string MessageLog::segment_path(uint32_t number) const {
    char name[32];
    std::snprintf(name, sizeof name, "%010u.seg", number);
    return dir_ + "/" + name;
}

void MessageLog::open_segment(uint32_t number, bool truncate) {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND);
    int fd = ::open(segment_path(number).c_str(), flags, 0600);
    if (fd < 0)
        throw std::runtime_error("store: cannot open " + segment_path(number) + ": " +
                                 std::strerror(errno));
    struct stat st {};
    fstat(fd, &st);
    fd_ = fd;
    segment_ = number;
    segment_bytes_ = static_cast<uint64_t>(st.st_size);
    live_.try_emplace(number, 0);
    // A new file's directory entry must be durable before its records count.
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    std::lock_guard lock(mutex_);
    sync_fd_ = fd_;
}

RecoveryReport MessageLog::recover(const std::function<void(const RecoveredEntry&)>& found) {
    RecoveryReport report;
    std::vector<uint32_t> numbers;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        std::string name = entry.path().filename().string();
        if (name.size() == 14 && name.ends_with(".seg"))
            numbers.push_back(static_cast<uint32_t>(std::stoul(name.substr(0, 10))));
    }
    std::sort(numbers.begin(), numbers.end());
    RecoveryIndex index;
    std::vector<std::string_view> queues;
    // Applies one record (from a segment, or from its index file) to the index.
    auto apply = [&](uint32_t number, uint8_t type, amqp::Reader& r, Location at) {
        if (type == kPublishAt || type == kRelocateAt) {
            at.offset = r.u32();
            at.length = r.u32();
            type = type == kPublishAt ? kPublish : kRelocate;
        }
        at.segment = number;
        if (type == kPublish) {
            uint64_t id = r.u64();
            uint16_t nq = r.u16();
            queues.clear();
            for (uint16_t i = 0; i < nq && r.ok(); ++i) queues.push_back(get_key(r));
            if (!r.ok() || nq == 0) return true;
            index.publish(id, at, queues);
            next_id_ = std::max(next_id_, id + 1);
        } else if (type == kRelocate) {
            uint64_t id = r.u64();
            std::string_view key = get_key(r);
            uint8_t deliveries = r.u8();
            if (!r.ok()) return true;
            index.relocate(id, at, key, deliveries);
            next_id_ = std::max(next_id_, id + 1);
        } else if (type == kRemove || type == kDelivered) {
            std::string_view key = get_key(r);
            uint32_t count = r.u32();
            for (uint32_t i = 0; i < count && r.ok(); ++i) {
                uint64_t id = r.u64();
                if (r.ok()) index.mark(key, id, type == kDelivered);
            }
        } else if (type == kDropQueue) {
            index.drop_queue(get_key(r));
        } else if (type == kDelayDue) {
            uint64_t id = r.u64();
            auto due = static_cast<int64_t>(r.u64());
            if (r.ok()) index.due(id, due);
        } else {
            return false;
        }
        return true;
    };
    for (size_t si = 0; si < numbers.size(); ++si) {
        uint32_t number = numbers[si];
        std::string path = segment_path(number);
        live_.try_emplace(number, 0);
        // A sealed segment's index holds everything but the bodies: read that instead.
        if (si + 1 < numbers.size() && recover_from_index(number, apply, report)) {
            ++report.segments;
            continue;
        }
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            report.problems.push_back(path + ": cannot open: " + std::strerror(errno));
            continue;
        }
        struct stat st {};
        fstat(fd, &st);
        // Mapped, not read: no zero-filled copy of a 64 MiB segment before parsing it.
        size_t mapped_size = static_cast<size_t>(st.st_size);
        void* mapped = mapped_size ? ::mmap(nullptr, mapped_size, PROT_READ, MAP_PRIVATE, fd, 0)
                                   : nullptr;
        ::close(fd);
        if (mapped == MAP_FAILED) {
            report.problems.push_back(path + ": cannot map: " + std::strerror(errno));
            continue;
        }
        if (mapped) ::madvise(mapped, mapped_size, MADV_SEQUENTIAL);
        std::string_view bytes(static_cast<const char*>(mapped), mapped_size);
        struct Unmap {
            void* p;
            size_t n;
            ~Unmap() {
                if (p) ::munmap(p, n);
            }
        } unmap{mapped, mapped_size};
        ++report.segments;
        report.bytes += mapped_size;
        size_t off = 0;
        while (off < bytes.size()) {
            const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + off;
            size_t left = bytes.size() - off;
            bool bad = left < kRecordHeader;
            uint32_t len = bad ? 0 : get_u32(p);
            bad = bad || len == 0 || len > kMaxRecord || left - kRecordHeader < len ||
                  util::crc32c(p + kRecordHeader, len) != get_u32(p + 4);
            if (bad) {
                uint64_t cut = left;
                if (si + 1 == numbers.size()) {
                    // A torn tail from a crash mid-write: cut it so appends continue cleanly.
                    if (::truncate(path.c_str(), static_cast<off_t>(off)) == 0)
                        report.truncated_bytes += cut;
                    report.problems.push_back(path + ": torn record at offset " +
                                              std::to_string(off) + ", truncated " +
                                              std::to_string(cut) + " bytes");
                } else {
                    report.problems.push_back(path + ": damaged record at offset " +
                                              std::to_string(off) + ", skipped " +
                                              std::to_string(cut) + " bytes");
                }
                break;
            }
            amqp::Reader r(p + kRecordHeader, len);
            ++report.records;
            uint8_t type = r.u8();
            bool index_only = type >= kPublishAt && type <= kIndexEnd;
            if (index_only ||
                !apply(number, type, r,
                       Location{number, static_cast<uint32_t>(off),
                                static_cast<uint32_t>(kRecordHeader + len)}))
                report.problems.push_back(path + ": unknown record type " +
                                          std::to_string(type) + " at offset " +
                                          std::to_string(off));
            off += kRecordHeader + len;
        }
    }
    report.messages = index.emit(found);
    // Append to a fresh segment: old ones stay until their messages are gone.
    uint32_t next = numbers.empty() ? 1 : numbers.back() + 1;
    open_segment(next, true);
    collect_garbage();
    return report;
}

std::string MessageLog::index_path(uint32_t number) const {
    std::string path = segment_path(number);
    return path.substr(0, path.size() - 4) + ".idx";
}

template <class Apply>
bool MessageLog::recover_from_index(uint32_t number, Apply& apply, RecoveryReport& report) {
    std::string text;
    if (read_file(index_path(number), text)) return false;
    struct stat st {};
    if (::stat(segment_path(number).c_str(), &st) != 0) return false;
    // Checked whole before any of it is applied: a torn or stale index (it is written
    // without a sync) falls back to scanning the segment itself.
    std::vector<std::pair<size_t, uint32_t>> records;
    size_t off = 0;
    bool ended = false;
    while (off < text.size() && !ended) {
        const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + off;
        size_t left = text.size() - off;
        if (left < kRecordHeader) return false;
        uint32_t len = get_u32(p);
        if (len == 0 || left - kRecordHeader < len ||
            util::crc32c(p + kRecordHeader, len) != get_u32(p + 4))
            return false;
        if (p[kRecordHeader] == kIndexEnd) {
            amqp::Reader r(p + kRecordHeader + 1, len - 1);
            if (r.u64() != static_cast<uint64_t>(st.st_size) || !r.ok()) return false;
            ended = true;
        } else {
            records.emplace_back(off, len);
        }
        off += kRecordHeader + len;
    }
    if (!ended) return false;
    for (auto [at, len] : records) {
        amqp::Reader r(reinterpret_cast<const uint8_t*>(text.data()) + at + kRecordHeader, len);
        uint8_t type = r.u8();
        ++report.records;
        apply(number, type, r, Location{});
    }
    report.bytes += text.size();
    ++report.indexed_segments;
    return true;
}

void MessageLog::index_begin() { index_start_ = open_frame(index_); }

void MessageLog::index_end() { close_frame(index_, index_start_); }

void MessageLog::write_index(uint32_t number) {
    index_begin();
    amqp::Writer w(index_);
    w.u8(kIndexEnd);
    w.u64(segment_bytes_);
    index_end();
    std::string_view bytes(reinterpret_cast<const char*>(index_.data()), index_.size());
    // No sync: the index only saves recovery from reading bodies; if it is lost or torn,
    // recovery reads the segment instead.
    if (auto ec = write_file_atomically(index_path(number), bytes, Sync::No))
        log().warn("{}: cannot write: {}", index_path(number), ec.message());
    index_.clear();
    index_.shrink_if_idle(1 << 20);
}

bool MessageLog::decode_publish(std::string_view record, PublishRecord& out) {
    if (record.size() < kRecordHeader + 1) return false;
    const auto* p = reinterpret_cast<const uint8_t*>(record.data());
    uint32_t len = get_u32(p);
    if (len != record.size() - kRecordHeader ||
        util::crc32c(p + kRecordHeader, len) != get_u32(p + 4))
        return false;
    amqp::Reader r(p + kRecordHeader, len);
    uint8_t type = r.u8();
    if (type != kPublish && type != kRelocate) return false;
    out.id = r.u64();
    if (type == kPublish) {
        uint16_t nq = r.u16();
        for (uint16_t i = 0; i < nq && r.ok(); ++i) get_key(r);
    } else {
        get_key(r);
        r.u8();
    }
    out.exchange = r.shortstr();
    out.routing_key = r.shortstr();
    out.properties_size = r.u32();
    out.data = r.longstr();
    return r.ok() && out.properties_size <= out.data.size();
}

int MessageLog::read_fd(uint32_t segment) {
    auto it = read_fds_.find(segment);
    if (it != read_fds_.end()) return it->second;
    int fd = ::open(segment_path(segment).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) read_fds_.emplace(segment, fd);
    return fd;
}

bool MessageLog::read(uint32_t segment, uint32_t offset, uint32_t length, char* out) {
    // A record appended this turn may still be in pending_: write it out first (the page
    // cache serves the read; durability is not needed for that).
    if (segment == segment_ && uint64_t{offset} + length > segment_bytes_) write_out();
    if (segment == segment_ && uint64_t{offset} + length > segment_bytes_) return false;
    int fd = read_fd(segment);
    if (fd < 0) {
        log().error("{}: cannot open for reading: {}", segment_path(segment), std::strerror(errno));
        return false;
    }
    size_t done = 0;
    while (done < length) {
        ssize_t n = ::pread(fd, out + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            log().error("{}: read of {} bytes at {} failed: {}", segment_path(segment), length,
                        offset, n == 0 ? "end of file" : std::strerror(errno));
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

void MessageLog::close() {
    write_out();
    closed_ = true;
}

void MessageLog::begin_record(uint8_t type) {
    record_start_ = open_frame(pending_);
    pending_.push(type);
}

void MessageLog::end_record() {
    size_t len = close_frame(pending_, record_start_);
    appended_ += kRecordHeader + len;
    // Control records go into the segment's index as they are; publish and relocate
    // records add theirs without the body (append_publish, append_relocate).
    uint8_t type = pending_.data()[record_start_ + kRecordHeader];
    if (type != kPublish && type != kRelocate)
        index_.append(pending_.data() + record_start_, kRecordHeader + len);
    loop_.schedule(*this, 0);
}

uint32_t MessageLog::begin_message_record(uint8_t type) {
    // Segments roll here, before a record, so the location returned is where it lands.
    if (segment_bytes_ + pending_.size() >= segment_size_ && !error_) {
        write_out();
        if (!error_) roll_segment();
    }
    auto offset = static_cast<uint32_t>(segment_bytes_ + pending_.size());
    begin_record(type);
    return offset;
}

Location MessageLog::location_from(uint32_t offset) const {
    return Location{segment_, offset,
                    static_cast<uint32_t>(segment_bytes_ + pending_.size() - offset)};
}

Location MessageLog::append_publish(uint64_t id, const std::vector<std::string_view>& queues,
                                    std::string_view exchange, std::string_view routing_key,
                                    std::string_view data, uint32_t properties_size) {
    if (closed_) return Location{segment_, 0, 0};
    uint32_t offset = begin_message_record(kPublish);
    amqp::Writer w(pending_);
    w.u64(id);
    w.u16(static_cast<uint16_t>(queues.size()));
    for (std::string_view q : queues) put_key(w, q);
    w.shortstr(exchange);
    w.shortstr(routing_key);
    w.u32(properties_size);
    w.longstr(data);
    end_record();
    Location at = location_from(offset);
    live_[segment_] += queues.size();
    index_begin();
    amqp::Writer iw(index_);
    iw.u8(kPublishAt);
    iw.u32(at.offset);
    iw.u32(at.length);
    iw.u64(id);
    iw.u16(static_cast<uint16_t>(queues.size()));
    for (std::string_view q : queues) put_key(iw, q);
    index_end();
    return at;
}

Location MessageLog::append_relocate(uint64_t id, std::string_view queue, uint32_t deliveries,
                                     std::string_view exchange, std::string_view routing_key,
                                     std::string_view data, uint32_t properties_size) {
    if (closed_) return Location{segment_, 0, 0};
    uint32_t offset = begin_message_record(kRelocate);
    amqp::Writer w(pending_);
    w.u64(id);
    put_key(w, queue);
    auto delivered = static_cast<uint8_t>(std::min<uint32_t>(deliveries, UINT8_MAX));
    w.u8(delivered);
    w.shortstr(exchange);
    w.shortstr(routing_key);
    w.u32(properties_size);
    w.longstr(data);
    end_record();
    Location at = location_from(offset);
    ++live_[segment_];
    ++relocated_;
    index_begin();
    amqp::Writer iw(index_);
    iw.u8(kRelocateAt);
    iw.u32(at.offset);
    iw.u32(at.length);
    iw.u64(id);
    put_key(iw, queue);
    iw.u8(delivered);
    index_end();
    return at;
}

std::optional<uint32_t> MessageLog::segment_to_compact(uint64_t max_live) const {
    // The oldest segment pins every newer one; move its few remaining messages when it
    // holds back at least two full segments behind it.
    if (live_.size() < 3) return std::nullopt;
    auto oldest = live_.begin();
    if (oldest->first == segment_ || oldest->second == 0 || oldest->second > max_live)
        return std::nullopt;
    return oldest->first;
}

void MessageLog::append_delay_due(uint64_t id, int64_t due_ms) {
    if (closed_) return;
    begin_record(kDelayDue);
    amqp::Writer w(pending_);
    w.u64(id);
    w.u64(static_cast<uint64_t>(due_ms));
    end_record();
}

void MessageLog::append_remove(std::string_view queue, uint64_t id) {
    batch(removes_, queue, id);
}

void MessageLog::append_delivered(std::string_view queue, uint64_t id) {
    batch(delivered_, queue, id);
}

void MessageLog::batch(std::unordered_map<std::string, std::vector<uint64_t>>& batches,
                       std::string_view queue, uint64_t id) {
    if (closed_) return;
    auto it = batches.find(std::string(queue));
    if (it == batches.end())
        it = batches.emplace(std::string(queue), std::vector<uint64_t>{}).first;
    it->second.push_back(id);
    // Counted now (8 bytes an id, less than its record will take) so that confirms issued
    // later in this turn cover it; flush_removes() swaps in the real size.
    appended_ += 8;
    loop_.schedule(*this, 0);
}

void MessageLog::append_drop_queue(std::string_view queue) {
    if (closed_) return;
    flush_removes();
    begin_record(kDropQueue);
    amqp::Writer w(pending_);
    put_key(w, queue);
    end_record();
}

void MessageLog::flush_removes() {
    for (auto* batch : {&delivered_, &removes_}) {
        uint8_t type = batch == &removes_ ? kRemove : kDelivered;
        for (auto& [key, ids] : *batch) {
            appended_ -= 8 * ids.size();
            begin_record(type);
            amqp::Writer w(pending_);
            put_key(w, key);
            w.u32(static_cast<uint32_t>(ids.size()));
            for (uint64_t id : ids) w.u64(id);
            end_record();
        }
        batch->clear();
    }
}

void MessageLog::release(uint32_t segment) {
    if (closed_) return;
    auto it = live_.find(segment);
    if (it != live_.end() && it->second > 0 && --it->second == 0)
        emptied_at_[segment] = appended_;
}

void MessageLog::run_turn_task() {
    write_out();
    collect_garbage();
}

void MessageLog::write_out() {
    flush_removes();
    if (pending_.empty() || fd_ < 0) return;
    while (!pending_.empty()) {
        ssize_t n = ::write(fd_, pending_.data(), pending_.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            // What was written stays written (a retry continues behind it, never repeating
            // bytes into the segment); the rest waits, is never reported durable, and its
            // publishers are nacked.
            fail(errno, "write at offset " + std::to_string(segment_bytes_));
            return;
        }
        segment_bytes_ += static_cast<uint64_t>(n);
        written_ += static_cast<uint64_t>(n);
        pending_.consume(static_cast<size_t>(n));
    }
    if (error_) {
        log().info("{}: writes succeed again", segment_path(segment_));
        error_ = {};
    }
    pending_.clear();
    pending_.shrink_if_idle(1 << 20);
    {
        std::lock_guard lock(mutex_);
        sync_requested_ = written_;
    }
    wake_.notify_one();
}

void MessageLog::fail(int err, const std::string& what) {
    if (!error_)
        log().error("{}: {} failed: {}; persistent publishes are nacked until it succeeds",
                    segment_path(segment_), what, std::strerror(err));
    error_ = {err, std::generic_category()};
    if (on_failed_) on_failed_();
    loop_.schedule_at(*this, loop_.now() + std::chrono::milliseconds(200));  // retry
}

void MessageLog::roll_segment() {
    int old = fd_;
    {
        // Make the old segment durable before records go to the new one.
        std::lock_guard lock(mutex_);
        ::fdatasync(old);
        sync_fd_ = -1;
    }
    ::close(old);
    synced_.store(written_);
    write_index(segment_);
    open_segment(segment_ + 1, true);
}

void MessageLog::collect_garbage() {
    while (live_.size() > 1) {
        auto oldest = live_.begin();
        if (oldest->first == segment_ || oldest->second != 0) return;
        // Records written since its last message left (relocated copies, removes) must be
        // on disk before the segment goes.
        auto emptied = emptied_at_.find(oldest->first);
        if (emptied != emptied_at_.end() && emptied->second > durable_) return;
        std::string path = segment_path(oldest->first);
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            log().error("{}: cannot delete: {}", path, std::strerror(errno));
            return;
        }
        ::unlink(index_path(oldest->first).c_str());
        log().debug("deleted fully acknowledged segment {}", path);
        if (auto fd = read_fds_.find(oldest->first); fd != read_fds_.end()) {
            ::close(fd->second);
            read_fds_.erase(fd);
        }
        if (emptied != emptied_at_.end()) emptied_at_.erase(emptied);
        live_.erase(oldest);
    }
}

void MessageLog::sync_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || sync_requested_ > synced_.load(); });
        if (stopping_) return;
        uint64_t target = sync_requested_;
        int fd = sync_fd_;
        // fdatasync runs under the lock so a segment roll cannot close the fd meanwhile;
        // appends do not take the lock, so publishers are never blocked by it.
        int rc = fd >= 0 ? ::fdatasync(fd) : 0;
        if (rc != 0) {
            sync_errno_.store(errno);
        } else {
            synced_.store(target);
        }
        uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
        if (rc != 0) {
            // Keep failing visibly rather than spinning.
            wake_.wait_for(lock, std::chrono::seconds(1));
        }
    }
}

void MessageLog::on_io(uint32_t) {
    uint64_t v;
    [[maybe_unused]] ssize_t n = ::read(event_fd_, &v, sizeof v);
    if (int err = sync_errno_.exchange(0)) fail(err, "fdatasync");
    uint64_t synced = synced_.load();
    // appended_ counts batched removes before they are written; durable_ is in the same
    // units because removes are written in the turn they were counted.
    if (synced > durable_) {
        durable_ = synced;
        if (on_durable_) on_durable_(durable_);
        collect_garbage();
    }
}

}  // namespace warren::store
