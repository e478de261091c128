#pragma once

#include "warren/net/event_loop.h"

#include <functional>
#include <string>
#include <vector>

namespace warren::net {

/// The peer of an accepted socket, for logs and the loopback-only rule of `guest`.
struct PeerAddress {
    std::string host;
    uint16_t port = 0;
    bool is_loopback = false;
    std::string to_string() const;
};

/// The local address of a connected socket (empty host if getsockname fails).
PeerAddress local_address(int fd);

/// Accepts TCP connections on one or more addresses and hands each new non-blocking socket
/// to `on_accept`.
class Listener : public IoHandler {
public:
    using AcceptFn = std::function<void(int fd, const PeerAddress& peer)>;

    Listener(EventLoop& loop, AcceptFn on_accept);
    ~Listener();

    /// Binds `address` (empty: every interface, IPv4 and IPv6) on `port`; 0 picks a free
    /// port. Throws std::runtime_error with a clear message on failure.
    void listen(const std::string& address, uint16_t port);
    uint16_t bound_port() const { return bound_port_; }
    void on_io(uint32_t events) override;

private:
    void add_socket(int family, const std::string& address, uint16_t port, bool v6only);

    EventLoop& loop_;
    AcceptFn on_accept_;
    std::vector<int> fds_;
    uint16_t bound_port_ = 0;
};

}  // namespace warren::net
