#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace warren::net {

class OutQueue;

/// How a connection's bytes cross its socket. The plain transport is read(2) and the
/// OutQueue's zero-copy writev; TlsTransport (tls_transport.h) encrypts in between. A
/// connection does all its socket I/O through one of these, so the plain path is the same
/// code whether or not a TLS listener is configured. Plain connections share one stateless
/// instance, plain_transport(), and cost no allocation.
class Transport {
public:
    virtual ~Transport() = default;

    /// As read(2): >0 bytes of application data, 0 at the end of the stream (or after a
    /// failed TLS handshake, already logged), -1 with errno set (EAGAIN: nothing yet).
    virtual ssize_t read(int fd, uint8_t* dst, size_t len) = 0;
    /// Sends as much of `out` as the socket takes. Returns false on a socket error.
    virtual bool flush(int fd, OutQueue& out) = 0;
    /// Bytes that left the OutQueue, or that the transport made itself (TLS handshake
    /// records, alerts), still wait for the socket: keep EPOLLOUT armed and flush again.
    virtual bool has_pending_output() const { return false; }
    /// Input already taken off the socket but not yet returned by read(). epoll will not
    /// report it, so a connection that stops reading early must come back for it.
    virtual bool has_pending_input() const { return false; }
    /// Still negotiating (the TLS handshake); no application data has arrived yet.
    virtual bool is_handshaking() const { return false; }
    /// Begins an orderly close: the next flush() sends what is queued, then (TLS)
    /// close_notify.
    virtual void close() {}
};

/// read(2) and OutQueue::flush's writev, nothing else.
Transport& plain_transport();

}  // namespace warren::net
