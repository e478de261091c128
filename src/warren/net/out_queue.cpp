#include "warren/net/out_queue.h"

#include <sys/uio.h>

#include <cerrno>

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
        size_t left = static_cast<size_t>(w);
        bytes_ -= left;
        while (left > 0) {
            Segment& s = segments_.front();
            size_t rest = s.len - head_written_;
            if (left >= rest) {
                left -= rest;
                head_written_ = 0;
                segments_.pop_front();
            } else {
                head_written_ += left;
                left = 0;
            }
        }
        if (static_cast<size_t>(w) == 0) break;
    }
    if (segments_.empty()) arena_.clear();
    return true;
}

void OutQueue::trim() {
    if (segments_.empty()) {
        arena_.shrink_if_idle(4 * 1024);
        segments_.shrink_to_fit();
    }
}

}  // namespace warren::net
