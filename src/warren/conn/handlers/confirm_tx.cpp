#include "warren/broker/vhost.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"

#include <algorithm>

namespace warren::conn {

amqp::Result<> Channel::on_confirm_select(const amqp::ConfirmSelect& m) {
    if (tx_mode_)
        return amqp::channel_error(amqp::ReplyCode::PreconditionFailed,
                                   "PRECONDITION_FAILED - cannot switch from tx to confirm mode");
    confirm_mode_ = true;
    if (!m.nowait) reply(amqp::ConfirmSelectOk{});
    return {};
}

amqp::Result<> Channel::on_tx_select() {
    if (confirm_mode_)
        return amqp::channel_error(amqp::ReplyCode::PreconditionFailed,
                                   "PRECONDITION_FAILED - cannot switch from confirm to tx mode");
    tx_mode_ = true;
    reply(amqp::TxSelectOk{});
    return {};
}

amqp::Result<> Channel::on_tx_commit() {
    if (!tx_mode_)
        return amqp::channel_error(amqp::ReplyCode::PreconditionFailed,
                                   "PRECONDITION_FAILED - channel is not transactional");
    auto publishes = std::move(tx_publishes_);
    tx_publishes_.clear();
    uint64_t durable_at = 0;
    for (auto& p : publishes) {
        // The exchange may have gone since the publish; such messages are dropped.
        if (broker::Exchange* ex = conn_.vhost()->find_exchange(p.exchange))
            durable_at = std::max(
                durable_at, route_message(*ex, p.routing_key, p.mandatory, p.message).durable_at);
    }
    auto settlements = std::move(tx_settlements_);
    tx_settlements_.clear();
    for (auto& s : settlements) apply_settlement(s.taken, s.ack, s.requeue);
    if (durable_at != 0) {
        // commit-ok promises the persistent messages are on disk.
        commit_waits_for_ = durable_at;
        conn_.server().await_durability(this);
        return {};
    }
    reply(amqp::TxCommitOk{});
    return {};
}

amqp::Result<> Channel::on_tx_rollback() {
    if (!tx_mode_)
        return amqp::channel_error(amqp::ReplyCode::PreconditionFailed,
                                   "PRECONDITION_FAILED - channel is not transactional");
    tx_publishes_.clear();
    // Uncommitted acks are undone: those deliveries are unacknowledged again.
    for (auto& s : tx_settlements_)
        for (auto& u : s.taken) unacked_.push_back(std::move(u));
    tx_settlements_.clear();
    std::sort(unacked_.begin(), unacked_.end(),
              [](const Unacked& a, const Unacked& b) { return a.tag < b.tag; });
    reply(amqp::TxRollbackOk{});
    return {};
}

}  // namespace warren::conn
