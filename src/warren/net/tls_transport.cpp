#include "warren/net/tls_transport.h"

#include "warren/net/out_queue.h"
#include "warren/util/log.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace warren::net {
namespace {

spdlog::logger& log() { return util::logger("net"); }

/// The largest TLS record's plaintext: each SSL_write of this much makes one record.
constexpr size_t kRecordBytes = 16 * 1024;
/// Plaintext encrypted per step of flush() before the ciphertext goes to the socket.
constexpr size_t kBatchBytes = 4 * kRecordBytes;

std::string error_queue_text() {
    std::string out;
    while (unsigned long code = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

std::string subject_of(X509* cert) {
    if (!cert) return "none";
    char buf[256];
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
    return buf;
}

}  // namespace

TlsTransport::TlsTransport(ssl_st* ssl, int fd, std::string peer)
    : ssl_(ssl), wbio_(BIO_new(BIO_s_mem())), peer_(std::move(peer)) {
    BIO* rbio = BIO_new_socket(fd, BIO_NOCLOSE);
    SSL_set_bio(ssl_, rbio, wbio_);
    SSL_set_accept_state(ssl_);
}

TlsTransport::~TlsTransport() { SSL_free(ssl_); }

bool TlsTransport::is_handshaking() const { return !SSL_is_init_finished(ssl_); }

bool TlsTransport::has_pending_input() const { return !failed_ && SSL_pending(ssl_) > 0; }

bool TlsTransport::has_pending_output() const {
    return !ciphertext_.empty() || BIO_ctrl_pending(wbio_) > 0 || (closing_ && !shut_down_);
}

void TlsTransport::note_failure(int ssl_error) {
    failed_ = true;
    std::string reason = error_queue_text();
    if (reason.empty()) reason = ssl_error == SSL_ERROR_SYSCALL ? "socket error" : "TLS error";
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK)
        reason += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
    if (is_handshaking())
        log().warn("TLS handshake with {} failed: {}", peer_, reason);
    else
        log().warn("TLS connection with {} failed: {}", peer_, reason);
}

ssize_t TlsTransport::read(int fd, uint8_t* dst, size_t len) {
    size_t got = 0;
    while (!finished_ && got < len) {
        ERR_clear_error();
        int want = static_cast<int>(std::min<size_t>(len - got, INT_MAX));
        int n = SSL_read(ssl_, dst + got, want);
        if (n > 0) {
            got += static_cast<size_t>(n);
            continue;
        }
        int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;
        if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EINTR)) break;
        // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a plain EOF: the end.
        if (err != SSL_ERROR_ZERO_RETURN) note_failure(err);
        finished_ = true;
    }
    if (!handshake_logged_ && SSL_is_init_finished(ssl_)) {
        handshake_logged_ = true;
        X509* cert = SSL_get1_peer_certificate(ssl_);
        log().debug("TLS handshake with {} done: {} {}, client certificate {}", peer_,
                    SSL_get_version(ssl_), SSL_get_cipher_name(ssl_), subject_of(cert));
        X509_free(cert);
    }
    // Handshake records, session tickets and alerts go out now, not at the next flush.
    send_ciphertext(fd);
    if (got > 0) return static_cast<ssize_t>(got);
    if (finished_) return 0;
    errno = EAGAIN;
    return -1;
}

bool TlsTransport::send_ciphertext(int fd) {
    if (size_t pending = BIO_ctrl_pending(wbio_)) {
        int n = BIO_read(wbio_, ciphertext_.prepare(pending), static_cast<int>(pending));
        if (n > 0) ciphertext_.commit(static_cast<size_t>(n));
    }
    while (!ciphertext_.empty()) {
        ssize_t w = ::write(fd, ciphertext_.data(), ciphertext_.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        ciphertext_.consume(static_cast<size_t>(w));
    }
    ciphertext_.shrink_if_idle(0);
    return true;
}

bool TlsTransport::flush(int fd, OutQueue& out) {
    // One record's plaintext at a time; SSL_write copies it, so one buffer serves every
    // connection on this loop.
    static thread_local uint8_t plaintext[kRecordBytes];
    for (;;) {
        if (!send_ciphertext(fd)) return false;
        if (!ciphertext_.empty()) return true;  // the socket is full: wait for EPOLLOUT
        if (out.empty()) {
            if (!closing_ || shut_down_) return true;
            // After the last data: close_notify, sent by the next round.
            shut_down_ = true;
            ERR_clear_error();
            SSL_shutdown(ssl_);
            ERR_clear_error();
            continue;
        }
        if (failed_) {
            out.consume(out.size());  // nobody will read it
            return true;
        }
        for (size_t batch = 0; batch < kBatchBytes && !out.empty();) {
            size_t n = out.peek(plaintext, sizeof plaintext);
            ERR_clear_error();
            int w = SSL_write(ssl_, plaintext, static_cast<int>(n));
            if (w <= 0) {
                int err = SSL_get_error(ssl_, w);
                // Only before the handshake is done: the data waits for the next read.
                if (err == SSL_ERROR_WANT_READ) return send_ciphertext(fd);
                note_failure(err);
                return false;
            }
            out.consume(static_cast<size_t>(w));
            batch += static_cast<size_t>(w);
        }
    }
}

void TlsTransport::close() {
    if (failed_ || !SSL_is_init_finished(ssl_)) return;
    closing_ = true;
}

}  // namespace warren::net
