#include "warren/store/page_file.h"

#include "warren/util/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace warren::store {
namespace {

spdlog::logger& log() { return util::logger("store"); }

}  // namespace

PageFile::PageFile(net::EventLoop& loop, std::string dir) : loop_(loop), dir_(std::move(dir)) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::create_directories(dir_);
    open_segment(1);
}

PageFile::~PageFile() {
    loop_.cancel(*this);
    while (!segments_.empty()) drop_segment(segments_.begin());
}

std::string PageFile::segment_path(uint32_t number) const {
    char name[32];
    std::snprintf(name, sizeof name, "%010u.page", number);
    return dir_ + "/" + name;
}

void PageFile::open_segment(uint32_t number) {
    int fd = ::open(segment_path(number).c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("store: cannot create " + segment_path(number) + ": " +
                                 std::strerror(errno));
    segments_[number] = Segment{fd, 0, 0};
    current_ = number;
}

void PageFile::drop_segment(std::map<uint32_t, Segment>::iterator it) {
    ::close(it->second.fd);
    ::unlink(segment_path(it->first).c_str());
    segments_.erase(it);
}

Location PageFile::write(std::string_view head, std::string_view data) {
    Segment* seg = &segments_[current_];
    if (seg->size + pending_.size() >= kSegmentSize) {
        flush();
        uint32_t old = current_;
        open_segment(current_ + 1);
        if (auto it = segments_.find(old); it != segments_.end() && it->second.live == 0)
            drop_segment(it);
        seg = &segments_[current_];
    }
    auto offset = static_cast<uint32_t>(seg->size + pending_.size());
    pending_.append(head.data(), head.size());
    pending_.append(data.data(), data.size());
    ++seg->live;
    loop_.schedule(*this, 0);
    return Location{current_, offset, static_cast<uint32_t>(head.size() + data.size())};
}

void PageFile::flush() {
    if (pending_.empty()) return;
    Segment& seg = segments_[current_];
    size_t done = 0;
    while (done < pending_.size()) {
        ssize_t n = ::pwrite(seg.fd, pending_.data() + done, pending_.size() - done,
                             static_cast<off_t>(seg.size + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            // The bodies stay in pending_ and reads of them fail: logged once per episode.
            if (!failed_) log().error("{}: write failed: {}", segment_path(current_),
                                      std::strerror(errno));
            failed_ = true;
            return;
        }
        done += static_cast<size_t>(n);
    }
    failed_ = false;
    seg.size += pending_.size();
    pending_.clear();
    pending_.shrink_if_idle(1 << 20);
}

bool PageFile::read(uint32_t segment, uint32_t offset, uint32_t length, char* out) {
    auto it = segments_.find(segment);
    if (it == segments_.end()) return false;
    if (segment == current_ && uint64_t{offset} + length > it->second.size) flush();
    if (uint64_t{offset} + length > it->second.size) return false;
    size_t done = 0;
    while (done < length) {
        ssize_t n = ::pread(it->second.fd, out + done, length - done,
                            static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            log().error("{}: read failed: {}", segment_path(segment),
                        n == 0 ? "end of file" : std::strerror(errno));
            return false;
        }
        done += static_cast<size_t>(n);
    }
    return true;
}

void PageFile::release(uint32_t segment) {
    auto it = segments_.find(segment);
    if (it == segments_.end() || it->second.live == 0) return;
    if (--it->second.live > 0) return;
    if (segment != current_) {
        drop_segment(it);
    } else if (pending_.empty() && it->second.size > 0) {
        // Everything paged out was read back: start the file over instead of growing it.
        if (::ftruncate(it->second.fd, 0) == 0) it->second.size = 0;
    }
}

uint64_t PageFile::disk_bytes() const {
    uint64_t total = 0;
    for (const auto& [n, seg] : segments_) total += seg.size;
    return total;
}

}  // namespace warren::store
