// What the connection layer tells warrenctl (admin/): states, settings and counters of
// connections and channels, read on the loop thread.
#include "warren/broker/vhost.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"

#include <chrono>

namespace warren::conn {

std::string_view Connection::state_name() const {
    switch (state_) {
    case State::AwaitingHeader:
    case State::AwaitingStartOk: return "starting";
    case State::AwaitingTuneOk: return "tuning";
    case State::AwaitingOpen: return "opening";
    case State::Open: return blocked_ ? "blocked" : "running";
    case State::Closing: return "closing";
    case State::Closed: return "closed";
    }
    return "closed";
}

int64_t Connection::connected_at_ms() const {
    auto age = server_.loop().now() - opened_at_;
    auto at = std::chrono::system_clock::now() -
              std::chrono::duration_cast<std::chrono::system_clock::duration>(age);
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

net::PeerAddress Connection::local_address() const {
    return fd_ >= 0 ? net::local_address(fd_) : net::PeerAddress{};
}

void Connection::detach_vhost() {
    if (!vhost_) return;
    vhost_->drop_owned_queues(owner_id());
    vhost_ = nullptr;
}

Channel::Stats Channel::stats() const {
    Stats s;
    s.consumer_count = consumers_.size();
    s.messages_unacknowledged = unacked_.size();
    s.messages_unconfirmed = confirm_mode_ ? next_publish_seq_ - 1 - acked_upto_ : 0;
    s.messages_uncommitted = tx_publishes_.size();
    for (const TxSettlement& t : tx_settlements_) s.acks_uncommitted += t.taken.size();
    s.prefetch_count = consumer_prefetch_;
    s.global_prefetch_count = channel_prefetch_;
    s.confirm = confirm_mode_;
    s.transactional = tx_mode_;
    return s;
}

}  // namespace warren::conn
