#pragma once

#include "warren/net/transport.h"

#include <memory>
#include <string>

struct ssl_ctx_st;

namespace warren::net {

/// RabbitMQ's ssl_options, as far as Warren implements them.
struct TlsOptions {
    std::string cert_file;      // certfile: PEM, the server certificate and its chain
    std::string key_file;       // keyfile: PEM private key
    std::string key_password;   // password of an encrypted keyfile
    std::string ca_file;        // cacertfile: CAs client certificates are checked against
    bool verify_peer = false;   // verify = verify_peer: ask for a client certificate
    bool fail_if_no_peer_cert = false;
};

/// The server side of TLS (OpenSSL): certificate, key and client verification, loaded once
/// at start. TLS 1.2 and 1.3, as RabbitMQ's default. Lives on the loop thread.
class TlsContext {
public:
    /// Throws std::runtime_error naming the file and OpenSSL's reason when a certificate or
    /// key cannot be loaded, or the key does not match the certificate.
    explicit TlsContext(const TlsOptions& options);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    /// A transport for a freshly accepted socket; the handshake runs within its first
    /// reads. `peer` names the client in log lines.
    std::unique_ptr<Transport> accept(int fd, std::string peer) const;

private:
    ssl_ctx_st* ctx_ = nullptr;
    std::string key_password_;
};

}  // namespace warren::net
