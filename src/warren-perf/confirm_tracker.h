#pragma once

#include <cstdint>
#include <vector>

namespace warren::perf {

/// Publisher-confirm bookkeeping for one channel: publish sequence numbers start at 1 and
/// basic.ack / basic.nack settle one tag or, with multiple, every tag up to it (RabbitMQ
/// docs, "Publisher Confirms"). Tags settled out of order are remembered in a ring sized
/// for the confirm window, so each settles exactly once.
class ConfirmTracker {
public:
    explicit ConfirmTracker(uint32_t window);

    /// How many more publishes the window allows now.
    uint64_t room() const;
    void published(uint64_t n) { next_tag_ += n; }
    uint64_t outstanding() const { return published_count() - settled_; }
    uint64_t published_count() const { return next_tag_ - 1; }

    /// Settles `tag` (or every tag up to it); returns how many messages that settled.
    uint64_t settle(uint64_t tag, bool multiple);

private:
    bool is_marked(uint64_t tag) const { return marks_[tag & mask_] != 0; }

    uint32_t window_;
    uint64_t next_tag_ = 1;
    uint64_t lowest_ = 1;  // every tag below is settled
    uint64_t settled_ = 0;
    uint64_t mask_;
    std::vector<uint8_t> marks_;  // tags above lowest_ settled out of order
};

}  // namespace warren::perf
