#include "warren/net/out_queue.h"
#include "warren/net/tls_context.h"

#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace warren::net {
namespace {

/// A self-signed certificate for CN=localhost and its key, written to temporary files.
class TestCertificate {
public:
    TestCertificate() {
        char tmpl[] = "/tmp/warren-tls-test-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
        dir_ = tmpl;
        EVP_PKEY* key = EVP_EC_gen("P-256");
        X509* cert = X509_new();
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), 0);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, key);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
        X509_set_issuer_name(cert, name);
        X509_sign(cert, key, EVP_sha256());
        FILE* f = std::fopen(cert_file().c_str(), "w");
        PEM_write_X509(f, cert);
        std::fclose(f);
        f = std::fopen(key_file().c_str(), "w");
        PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(f);
        X509_free(cert);
        EVP_PKEY_free(key);
    }
    ~TestCertificate() {
        std::remove(cert_file().c_str());
        std::remove(key_file().c_str());
        rmdir(dir_.c_str());
    }
    std::string cert_file() const { return dir_ + "/cert.pem"; }
    std::string key_file() const { return dir_ + "/key.pem"; }

private:
    std::string dir_;
};

const TestCertificate& certificate() {
    static TestCertificate c;
    return c;
}

/// A server TlsTransport on one end of a socket pair and an OpenSSL client on the other,
/// both non-blocking, driven by hand.
class TlsPair : public ::testing::Test {
protected:
    void SetUp() override {
        int fds[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
        server_fd_ = fds[0];
        client_fd_ = fds[1];
        for (int fd : fds) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        context_ = std::make_unique<TlsContext>(
            TlsOptions{certificate().cert_file(), certificate().key_file(), "", "", false, false});
        server_ = context_->accept(server_fd_, "test-peer");
        client_ctx_ = SSL_CTX_new(TLS_client_method());
        client_ = SSL_new(client_ctx_);
        SSL_set_fd(client_, client_fd_);
        SSL_set_connect_state(client_);
    }
    void TearDown() override {
        server_.reset();
        SSL_free(client_);
        SSL_CTX_free(client_ctx_);
        close(server_fd_);
        close(client_fd_);
    }

    void small_buffers() {
        int size = 4096;
        for (int fd : {server_fd_, client_fd_}) {
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        }
    }

    /// Runs both handshakes to completion.
    void handshake() {
        uint8_t buf[16];
        for (int i = 0; i < 100 && (SSL_is_init_finished(client_) == 0 || server_->is_handshaking());
             ++i) {
            SSL_do_handshake(client_);
            ASSERT_EQ(server_->read(server_fd_, buf, sizeof buf), -1);
            ASSERT_EQ(errno, EAGAIN);
            OutQueue none;
            server_->flush(server_fd_, none);
        }
        ASSERT_TRUE(SSL_is_init_finished(client_));
        ASSERT_FALSE(server_->is_handshaking());
    }

    /// Everything the client can decrypt right now.
    std::string client_read() {
        std::string out;
        char buf[65536];
        for (;;) {
            int n = SSL_read(client_, buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        return out;
    }

    void client_write(const std::string& data) {
        size_t done = 0;
        while (done < data.size()) {
            int n = SSL_write(client_, data.data() + done, static_cast<int>(data.size() - done));
            ASSERT_GT(n, 0) << SSL_get_error(client_, n);
            done += static_cast<size_t>(n);
        }
    }

    int server_fd_ = -1, client_fd_ = -1;
    std::unique_ptr<TlsContext> context_;
    std::unique_ptr<Transport> server_;
    SSL_CTX* client_ctx_ = nullptr;
    SSL* client_ = nullptr;
};

std::string pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
    return s;
}

void put(OutQueue& q, const std::string& bytes) {
    size_t mark = q.arena().size();
    q.arena().append(bytes);
    q.commit_arena(mark);
}

TEST_F(TlsPair, HandshakeThenDataBothWays) {
    handshake();
    std::string up = pattern(100 * 1000);
    client_write(up);
    std::string got;
    uint8_t buf[65536];
    for (int i = 0; i < 1000 && got.size() < up.size(); ++i) {
        ssize_t n = server_->read(server_fd_, buf, sizeof buf);
        if (n > 0) got.append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
    }
    EXPECT_EQ(got, up);

    OutQueue out;
    std::string down = pattern(300 * 1000);
    put(out, down.substr(0, 1000));
    auto shared = util::SharedBytes::copy_of(std::string_view(down).substr(1000));
    out.append_shared(shared, shared.data(), shared.size());
    std::string received;
    for (int i = 0; i < 1000 && received.size() < down.size(); ++i) {
        ASSERT_TRUE(server_->flush(server_fd_, out));
        received += client_read();
    }
    EXPECT_EQ(received, down);
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(server_->has_pending_output());
}

TEST_F(TlsPair, DecryptedInputLeftInTheRecordIsReportedAsPending) {
    handshake();
    client_write(pattern(10000));  // one record
    uint8_t buf[1000];
    ASSERT_EQ(server_->read(server_fd_, buf, sizeof buf), 1000);
    EXPECT_TRUE(server_->has_pending_input()) << "epoll would never report these 9000 bytes";
    size_t total = 1000;
    while (server_->has_pending_input()) {
        ssize_t n = server_->read(server_fd_, buf, sizeof buf);
        ASSERT_GT(n, 0);
        total += static_cast<size_t>(n);
    }
    EXPECT_EQ(total, 10000u);
}

TEST_F(TlsPair, SlowReaderBacklogStaysInTheOutQueue) {
    small_buffers();
    handshake();
    OutQueue out;
    std::string down = pattern(2 * 1024 * 1024);
    put(out, down);
    ASSERT_TRUE(server_->flush(server_fd_, out));
    EXPECT_TRUE(server_->has_pending_output()) << "the socket is full: EPOLLOUT wanted";
    EXPECT_GT(out.size(), down.size() - 256 * 1024) << "only a batch was encrypted";
    std::string received;
    for (int i = 0; i < 100000 && received.size() < down.size(); ++i) {
        received += client_read();
        ASSERT_TRUE(server_->flush(server_fd_, out));
    }
    EXPECT_EQ(received, down);
}

TEST_F(TlsPair, CloseSendsQueuedDataThenCloseNotify) {
    handshake();
    OutQueue out;
    put(out, "last words");
    server_->close();
    EXPECT_TRUE(server_->has_pending_output());
    ASSERT_TRUE(server_->flush(server_fd_, out));
    char buf[64];
    int n = SSL_read(client_, buf, sizeof buf);
    ASSERT_EQ(n, 10);
    EXPECT_EQ(std::string(buf, 10), "last words");
    n = SSL_read(client_, buf, sizeof buf);
    EXPECT_EQ(n, 0);
    EXPECT_EQ(SSL_get_error(client_, n), SSL_ERROR_ZERO_RETURN);
    EXPECT_FALSE(server_->has_pending_output());
}

TEST_F(TlsPair, PlainAmqpOnTheTlsSocketEndsTheStream) {
    ASSERT_EQ(write(client_fd_, "AMQP\x00\x00\x09\x01", 8), 8);
    uint8_t buf[64];
    EXPECT_EQ(server_->read(server_fd_, buf, sizeof buf), 0);
    EXPECT_TRUE(server_->is_handshaking());
    EXPECT_EQ(server_->read(server_fd_, buf, sizeof buf), 0) << "and stays ended";
    // Nothing but, perhaps, a TLS alert goes back (OpenSSL sends none for a record whose
    // version it cannot read).
    char reply[64];
    ssize_t n = read(client_fd_, reply, sizeof reply);
    if (n > 0) EXPECT_EQ(reply[0], 0x15) << "TLS record type alert";
    else EXPECT_EQ(errno, EAGAIN);
}

TEST(TlsContext, MissingCertificateIsAClearError) {
    try {
        TlsContext c(TlsOptions{"/nonexistent/cert.pem", certificate().key_file(), "", "", false,
                                false});
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(
                      "cannot load the TLS certificate '/nonexistent/cert.pem': ", 0),
                  0u)
            << e.what();
    }
}

}  // namespace
}  // namespace warren::net
