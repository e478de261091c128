#include "warren/net/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace warren::net {
namespace {

PeerAddress peer_of(const sockaddr_storage& ss) {
    PeerAddress p;
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        p.port = ntohs(a->sin_port);
        p.is_loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        p.port = ntohs(a->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            in_addr v4;
            std::memcpy(&v4, a->sin6_addr.s6_addr + 12, 4);
            inet_ntop(AF_INET, &v4, buf, sizeof buf);
            p.is_loopback = (ntohl(v4.s_addr) >> 24) == 127;
        } else {
            inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
            p.is_loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
        }
    }
    p.host = buf;
    return p;
}

}  // namespace

std::string PeerAddress::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

PeerAddress local_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return peer_of(ss);
}

Listener::Listener(EventLoop& loop, AcceptFn on_accept)
    : loop_(loop), on_accept_(std::move(on_accept)) {}

Listener::~Listener() {
    for (int fd : fds_) {
        loop_.remove(fd);
        close(fd);
    }
}

void Listener::add_socket(int family, const std::string& address, uint16_t port, bool v6only) {
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr = in6addr_any;
        if (!address.empty() && inet_pton(AF_INET6, address.c_str(), &a->sin6_addr) != 1)
            throw std::runtime_error("invalid bind address '" + address + "'");
        len = sizeof(sockaddr_in6);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_ANY);
        if (!address.empty() && inet_pton(AF_INET, address.c_str(), &a->sin_addr) != 1)
            throw std::runtime_error("invalid bind address '" + address + "'");
        len = sizeof(sockaddr_in);
    }
    (void)v6only;
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 || ::listen(fd, 1024) < 0) {
        int err = errno;
        close(fd);
        throw std::runtime_error("cannot listen on " + (address.empty() ? "*" : address) + ":" +
                                 std::to_string(port) + ": " + std::strerror(err));
    }
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
    bound_port_ = peer_of(bound).port;
    fds_.push_back(fd);
    loop_.add(fd, EPOLLIN, this);
}

void Listener::listen(const std::string& address, uint16_t port) {
    if (!address.empty()) {
        add_socket(address.find(':') != std::string::npos ? AF_INET6 : AF_INET, address, port,
                   true);
        return;
    }
    // Every interface, as RabbitMQ: IPv4 and, where the host has it, IPv6 on the same port.
    add_socket(AF_INET, "", port, false);
    try {
        add_socket(AF_INET6, "", bound_port_, true);
    } catch (const std::exception&) {
        // No IPv6 on this host: IPv4 alone is fine.
    }
}

void Listener::on_io(uint32_t) {
    for (int lfd : fds_) {
        for (;;) {
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            int fd = accept4(lfd, reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) break;
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            on_accept_(fd, peer_of(ss));
        }
    }
}

}  // namespace warren::net
