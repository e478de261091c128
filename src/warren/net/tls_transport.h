#pragma once

#include "warren/net/transport.h"
#include "warren/util/byte_buffer.h"

#include <string>

struct ssl_st;
struct bio_st;

namespace warren::net {

/// One TLS connection over a non-blocking socket. OpenSSL reads ciphertext straight from
/// the socket (no read-ahead, so what is not yet decrypted stays in the kernel and epoll
/// still reports it) and writes into a memory BIO, which flush() moves to the socket: a
/// TLS call thus never waits to write, and handshake records, alerts and close_notify
/// leave through the same path as data. Plaintext is taken from the OutQueue 16 KiB (one
/// record) at a time, and only once the previous batch has reached the socket, so a slow
/// reader's backlog stays in the OutQueue where the connection's watermarks see it.
class TlsTransport final : public Transport {
public:
    /// Takes ownership of `ssl`, a fresh server-side session for socket `fd`.
    TlsTransport(ssl_st* ssl, int fd, std::string peer);
    ~TlsTransport() override;

    ssize_t read(int fd, uint8_t* dst, size_t len) override;
    bool flush(int fd, OutQueue& out) override;
    bool has_pending_output() const override;
    bool has_pending_input() const override;
    bool is_handshaking() const override;
    void close() override;

private:
    /// Moves ciphertext from the memory BIO to the socket. False on a socket error.
    bool send_ciphertext(int fd);
    /// Logs why the session failed (handshake or later) and stops using it.
    void note_failure(int ssl_error);

    ssl_st* ssl_;
    bio_st* wbio_;  // owned by ssl_
    util::ByteBuffer ciphertext_;
    std::string peer_;
    bool failed_ = false;
    bool finished_ = false;  // the end of the stream (or a failure) was reported
    bool handshake_logged_ = false;
    bool closing_ = false;    // close() was called: close_notify follows the last data
    bool shut_down_ = false;  // close_notify is queued
};

}  // namespace warren::net
