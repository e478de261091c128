#include "warren/net/tls_context.h"

#include "warren/net/tls_transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>

namespace warren::net {
namespace {

/// OpenSSL's most recent error, for start-up messages.
std::string openssl_reason() {
    unsigned long code = ERR_peek_last_error();
    std::string out;
    if (code == 0) {
        out = "unknown error";
    } else {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof buf);
        out = buf;
    }
    ERR_clear_error();
    return out;
}

[[noreturn]] void fail(const std::string& what, const std::string& file) {
    throw std::runtime_error(what + " '" + file + "': " + openssl_reason());
}

}  // namespace

TlsContext::TlsContext(const TlsOptions& o) : key_password_(o.key_password) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (!ctx_) throw std::runtime_error("cannot create a TLS context: " + openssl_reason());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    // No renegotiation: with it a write could need a read first. An EOF without
    // close_notify is an ordinary end of stream (AMQP frames carry their own lengths).
    SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Idle connections give their record buffers back.
    SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!key_password_.empty())
        SSL_CTX_set_default_passwd_cb_userdata(ctx_, key_password_.data());
    if (SSL_CTX_use_certificate_chain_file(ctx_, o.cert_file.c_str()) != 1)
        fail("cannot load the TLS certificate", o.cert_file);
    if (SSL_CTX_use_PrivateKey_file(ctx_, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        fail("cannot load the TLS private key", o.key_file);
    if (SSL_CTX_check_private_key(ctx_) != 1)
        fail("the TLS private key does not match the certificate", o.key_file);
    if (!o.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx_, o.ca_file.c_str(), nullptr) != 1)
            fail("cannot load the TLS CA certificates", o.ca_file);
        // Tell clients which CAs we accept, so they pick the right certificate.
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_file.c_str()))
            SSL_CTX_set_client_CA_list(ctx_, names);
    }
    int mode = SSL_VERIFY_NONE;
    if (o.verify_peer) {
        mode = SSL_VERIFY_PEER;
        if (o.fail_if_no_peer_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(ctx_, mode, nullptr);
    // Needed for session resumption once client certificates are verified.
    static const unsigned char kSessionContext[] = "warren";
    SSL_CTX_set_session_id_context(ctx_, kSessionContext, sizeof kSessionContext - 1);
    ERR_clear_error();
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<Transport> TlsContext::accept(int fd, std::string peer) const {
    SSL* ssl = SSL_new(ctx_);
    if (!ssl) return nullptr;
    return std::make_unique<TlsTransport>(ssl, fd, std::move(peer));
}

}  // namespace warren::net
