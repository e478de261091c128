#pragma once

#include "warren/broker/broker.h"
#include "warren/conn/resource_alarms.h"
#include "warren/net/event_loop.h"
#include "warren/net/listener.h"
#include "warren/net/tls_context.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace warren::conn {

class Connection;
class Channel;

/// How often the Server sweeps its connections (Connection::on_tick).
inline constexpr std::chrono::milliseconds kSweepInterval{500};

/// Accepts AMQP connections and owns them: their lifetimes, the heartbeat and handshake
/// sweep, and the direct reply-to registry that lets one channel reach another.
class Server {
public:
    Server(net::EventLoop& loop, broker::Broker& broker);
    ~Server();

    void listen(const std::string& address, uint16_t port);
    uint16_t bound_port() const { return listener_.bound_port(); }
    /// The amqps listener, with the certificate and verification from the config's TLS
    /// settings. Throws std::runtime_error when they cannot be loaded or the port is taken.
    void listen_tls(const std::string& address, uint16_t port);
    uint16_t tls_bound_port() const { return tls_listener_ ? tls_listener_->bound_port() : 0; }

    net::EventLoop& loop() { return loop_; }
    broker::Broker& broker() { return broker_; }
    const config::Config& config() const { return broker_.config(); }

    /// Schedules a closed connection's deletion at the end of the loop turn (never inside
    /// its own callbacks).
    void release(Connection* connection);
    /// Sends connection.close to every client (shutdown).
    void close_all(std::string_view reason);
    size_t connection_count() const { return connections_.size(); }
    /// Every connection, in no particular order (warrenctl's list and close commands).
    const std::unordered_map<Connection*, std::unique_ptr<Connection>>& connections() const {
        return connections_;
    }

    /// Direct reply-to (amq.rabbitmq.reply-to): a channel's consumer registers a token.
    std::string register_reply_channel(Channel* channel);
    void unregister_reply_channel(std::string_view token);
    Channel* find_reply_channel(std::string_view token) const;

    /// The memory and disk alarms (publishers are blocked while one is active).
    const ResourceAlarms& alarms() const { return alarms_; }

    /// Channels with publisher confirms waiting for the message log to reach disk.
    void await_durability(Channel* channel);
    void forget_durability_waiter(Channel* channel);

private:
    void accept(int fd, const net::PeerAddress& peer, std::unique_ptr<net::Transport> tls);
    void on_durable(uint64_t position);
    void on_store_failed();
    void sweep();
    void reap();

    net::EventLoop& loop_;
    broker::Broker& broker_;
    net::Listener listener_;
    std::unique_ptr<net::TlsContext> tls_context_;
    std::unique_ptr<net::Listener> tls_listener_;
    ResourceAlarms alarms_;
    std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
    std::vector<Connection*> released_;
    std::unordered_map<std::string, Channel*> reply_channels_;
    std::vector<Channel*> durability_waiters_;
    uint64_t next_connection_id_ = 1;
    uint64_t next_reply_token_ = 1;
};

}  // namespace warren::conn
