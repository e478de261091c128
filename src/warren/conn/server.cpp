#include "warren/conn/server.h"

#include "warren/conn/channel.h"
#include "warren/conn/connection.h"
#include "warren/config/byte_size.h"
#include "warren/util/log.h"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace warren::conn {

Server::Server(net::EventLoop& loop, broker::Broker& broker)
    : loop_(loop), broker_(broker),
      listener_(loop,
                [this](int fd, const net::PeerAddress& peer) { accept(fd, peer, nullptr); }),
      alarms_(broker.config().data_dir,
              config::resolve_size(broker.config().memory_high_watermark,
                                   config::total_memory_bytes(), "memory high watermark"),
              config::resolve_size(broker.config().disk_free_limit, config::total_memory_bytes(),
                                   "disk free limit")) {
    alarms_.check();
    loop_.every(kSweepInterval, [this] { sweep(); });
    broker_.message_log().on_durable([this](uint64_t position) { on_durable(position); });
    broker_.message_log().on_failed([this] { on_store_failed(); });
}

void Server::await_durability(Channel* channel) {
    if (std::find(durability_waiters_.begin(), durability_waiters_.end(), channel) ==
        durability_waiters_.end())
        durability_waiters_.push_back(channel);
}

void Server::forget_durability_waiter(Channel* channel) {
    durability_waiters_.erase(
        std::remove(durability_waiters_.begin(), durability_waiters_.end(), channel),
        durability_waiters_.end());
}

void Server::on_store_failed() {
    auto waiters = std::move(durability_waiters_);
    durability_waiters_.clear();
    for (Channel* ch : waiters) ch->on_store_failed();  // re-registers if still waiting
}

void Server::on_durable(uint64_t position) {
    auto waiters = std::move(durability_waiters_);
    durability_waiters_.clear();
    for (Channel* ch : waiters) ch->on_durable(position);  // re-registers if still waiting
}

Server::~Server() {
    broker_.message_log().on_durable(nullptr);
    for (auto& [p, c] : connections_) c->shutdown_socket();
    reap();
    connections_.clear();
}

void Server::listen(const std::string& address, uint16_t port) { listener_.listen(address, port); }

void Server::listen_tls(const std::string& address, uint16_t port) {
    const config::Config& c = config();
    tls_context_ = std::make_unique<net::TlsContext>(net::TlsOptions{
        c.tls_cert_file, c.tls_key_file, c.tls_key_password, c.tls_cacert_file,
        c.tls_verify_peer, c.tls_fail_if_no_peer_cert});
    tls_listener_ = std::make_unique<net::Listener>(
        loop_, [this](int fd, const net::PeerAddress& peer) {
            auto tls = tls_context_->accept(fd, peer.to_string());
            if (!tls) {
                ::close(fd);
                return;
            }
            accept(fd, peer, std::move(tls));
        });
    tls_listener_->listen(address, port);
}

void Server::accept(int fd, const net::PeerAddress& peer, std::unique_ptr<net::Transport> tls) {
    uint64_t id = next_connection_id_++;
    auto c = std::make_unique<Connection>(*this, fd, peer, id, std::move(tls));
    Connection* raw = c.get();
    connections_.emplace(raw, std::move(c));
}

void Server::release(Connection* connection) {
    released_.push_back(connection);
    // Deleted at the next sweep or reap, never inside the connection's own call stack.
}

void Server::reap() {
    auto gone = std::move(released_);
    released_.clear();
    for (Connection* c : gone) connections_.erase(c);
}

void Server::sweep() {
    reap();
    auto now = loop_.now();
    bool alarm_changed = alarms_.check();
    std::vector<Connection*> all;
    all.reserve(connections_.size());
    for (auto& [p, c] : connections_) all.push_back(p);
    for (Connection* c : all) {
        if (alarm_changed) c->on_alarm(alarms_.active(), alarms_.reason());
        c->on_tick(now);
    }
}

void Server::close_all(std::string_view reason) {
    for (auto& [p, c] : connections_) c->force_close(reason);
}

std::string Server::register_reply_channel(Channel* channel) {
    std::string token = "amq.rabbitmq.reply-to.g" + std::to_string(next_reply_token_++) + "." +
                        std::to_string(channel->connection().id()) + "." +
                        std::to_string(channel->number());
    reply_channels_[token] = channel;
    return token;
}

void Server::unregister_reply_channel(std::string_view token) {
    reply_channels_.erase(std::string(token));
}

Channel* Server::find_reply_channel(std::string_view token) const {
    auto it = reply_channels_.find(std::string(token));
    return it == reply_channels_.end() ? nullptr : it->second;
}

}  // namespace warren::conn
