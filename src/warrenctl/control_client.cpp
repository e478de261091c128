#include "warrenctl/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace warrenctl {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return ms.count() < 0 ? 0 : static_cast<int>(std::min<long long>(ms.count(), 1 << 30));
}

Clock::time_point deadline_in(double seconds) {
    return Clock::now() +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

ControlClient::~ControlClient() { close(); }

void ControlClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool ControlClient::connect(const std::string& path, std::string& error) {
    close();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        error = "the socket path is too long for a Unix socket";
        return false;
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error = std::strerror(errno);
        close();
        return false;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) peer_pid_ = cred.pid;
    return true;
}

bool ControlClient::call(const nlohmann::json& request, nlohmann::json& reply, double timeout_s,
                         std::string& error) {
    auto deadline = deadline_in(timeout_s);
    std::string line =
        request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    size_t sent = 0;
    while (sent < line.size()) {
        ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;  // a refusal may be waiting to be read: look before giving up
        sent += static_cast<size_t>(n);
    }
    for (;;) {
        if (auto nl = in_.find('\n'); nl != std::string::npos) {
            reply = nlohmann::json::parse(in_.substr(0, nl), nullptr, false);
            in_.erase(0, nl + 1);
            if (reply.is_discarded() || !reply.is_object()) {
                error = "the broker sent a malformed reply";
                return false;
            }
            return true;
        }
        pollfd p{fd_, POLLIN, 0};
        int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            error = "no reply within " + std::to_string(static_cast<int>(timeout_s)) + " seconds";
            return false;
        }
        char buf[65536];
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = n == 0 ? "the broker closed the control connection"
                           : std::string(std::strerror(errno));
            return false;
        }
        in_.append(buf, static_cast<size_t>(n));
    }
}

bool ControlClient::wait_closed(double timeout_s) {
    auto deadline = deadline_in(timeout_s);
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return false;
        char buf[4096];
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return true;
    }
}

}  // namespace warrenctl
