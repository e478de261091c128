#include "warren/net/out_queue.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace warren::net {

void OutQueue::commit_arena(size_t mark) {
    size_t len = arena_.size() - mark;
    if (len == 0) return;
    bytes_ += len;
    if (!segments_.empty()) {
        Segment& last = segments_.back();
        if (!last.ref && last.offset + last.len == mark) {
            last.len += len;
            return;
        }
    }
    segments_.push_back(Segment{mark, nullptr, len, {}});
}

void OutQueue::append_shared(const util::SharedBytes& owner, const uint8_t* p, size_t len) {
    if (len == 0) return;
    if (len < kReferenceThreshold) {
        size_t mark = arena_.size();
        arena_.append(p, len);
        commit_arena(mark);
        return;
    }
    bytes_ += len;
    segments_.push_back(Segment{0, p, len, owner});
}

bool OutQueue::flush(int fd) {
    constexpr int kMaxIov = 64;
    while (!segments_.empty()) {
        iovec iov[kMaxIov];
        int n = 0;
        for (auto it = segments_.begin(); it != segments_.end() && n < kMaxIov; ++it, ++n) {
            const uint8_t* base = it->ref ? it->ptr : arena_.data() + it->offset;
            size_t skip = (n == 0) ? head_written_ : 0;
            iov[n].iov_base = const_cast<uint8_t*>(base + skip);
            iov[n].iov_len = it->len - skip;
        }
        ssize_t w = ::writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        consume(static_cast<size_t>(w));
        if (w == 0) break;
    }
    return true;
}

size_t OutQueue::peek(uint8_t* dst, size_t max) const {
    size_t copied = 0;
    size_t skip = head_written_;
    for (auto it = segments_.begin(); it != segments_.end() && copied < max; ++it) {
        const uint8_t* base = it->ref ? it->ptr : arena_.data() + it->offset;
        size_t n = std::min(it->len - skip, max - copied);
        std::memcpy(dst + copied, base + skip, n);
        copied += n;
        skip = 0;
    }
    return copied;
}

void OutQueue::consume(size_t n) {
    bytes_ -= n;
    while (n > 0) {
        Segment& s = segments_.front();
        size_t rest = s.len - head_written_;
        if (n >= rest) {
            n -= rest;
            head_written_ = 0;
            segments_.pop_front();
        } else {
            head_written_ += n;
            n = 0;
        }
    }
    if (segments_.empty()) arena_.clear();
}

void OutQueue::trim() {
    if (segments_.empty()) {
        arena_.shrink_if_idle(4 * 1024);
        segments_.shrink_to_fit();
    }
}

}  // namespace warren::net
