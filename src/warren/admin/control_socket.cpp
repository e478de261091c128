#include "warren/admin/control_socket.h"

#include "warren/admin/protocol.h"
#include "warren/util/log.h"

#include <nlohmann/json.hpp>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace warren::admin {
namespace {

using nlohmann::json;
using Clock = net::EventLoop::Clock;

spdlog::logger& log() { return util::logger("admin"); }

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kReadBudget = 1024 * 1024;     // per client per loop turn
constexpr size_t kOutHighWatermark = 1024 * 1024;  // stop handling requests above this
constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr auto kSweepPeriod = std::chrono::seconds(5);

std::string reply_line(const json& reply) {
    return reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

bool fill_address(const std::string& path, sockaddr_un& addr) {
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return false;
    std::memcpy(addr.sun_path, path.data(), path.size());
    return true;
}

/// Whether a broker answers on the socket at `path`.
bool is_live(const sockaddr_un& addr) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool live = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return live;
}

}  // namespace

/// One warrenctl connection: reads request lines, answers each in order.
class ControlSocket::Client : public net::IoHandler {
public:
    Client(ControlSocket& owner, int fd) : owner_(owner), fd_(fd) {
        last_active_ = owner_.loop_.now();
        owner_.loop_.add(fd_, EPOLLIN | EPOLLRDHUP, this);
    }
    ~Client() override { shut(); }

    void on_io(uint32_t events) override {
        if (fd_ < 0) return;
        if (events & EPOLLOUT) flush();
        if (fd_ >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) && !eof_)
            read_input();
        if (fd_ >= 0) handle_lines();
    }

    bool idle_since(Clock::time_point limit) const {
        return out_.empty() && last_active_ < limit;
    }

    void shut() {
        if (fd_ < 0) return;
        owner_.loop_.remove(fd_);
        ::close(fd_);
        fd_ = -1;
    }

private:
    void read_input() {
        size_t total = 0;
        while (total < kReadBudget) {
            size_t old = in_.size();
            in_.resize(old + kReadChunk);
            ssize_t n = ::read(fd_, in_.data() + old, kReadChunk);
            in_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (n <= 0) {
                eof_ = true;  // answer what was asked, then close
                break;
            }
            total += static_cast<size_t>(n);
            last_active_ = owner_.loop_.now();
            if (in_.size() > kMaxRequestBytes && in_.find('\n') == std::string::npos) {
                log().warn("control client sent a request over {} bytes, closing",
                           kMaxRequestBytes);
                in_.clear();
                out_ += reply_line(json{{"ok", false},
                                        {"exit_code", kExitDataErr},
                                        {"error", "request too large"}});
                eof_ = true;
                break;
            }
        }
    }

    void handle_lines() {
        size_t start = 0;
        while (out_.size() < kOutHighWatermark) {
            size_t nl = in_.find('\n', start);
            if (nl == std::string::npos) break;
            std::string_view line(in_.data() + start, nl - start);
            start = nl + 1;
            if (line.empty() || line == "\r") continue;
            out_ += reply_line(answer(line));
        }
        in_.erase(0, start);
        flush();
        if (fd_ < 0) return;
        if (eof_ && out_.empty() && (in_.find('\n') == std::string::npos)) {
            owner_.release(this);
            return;
        }
        update_interest();
    }

    json answer(std::string_view line) {
        json request = json::parse(line, nullptr, false);
        if (request.is_discarded())
            return json{{"ok", false},
                        {"exit_code", kExitUsage},
                        {"error", "malformed request: not JSON"}};
        return run_command(owner_.context_, request);
    }

    void flush() {
        while (!out_.empty()) {
            ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (n <= 0) {  // the client went away
                out_.clear();
                in_.clear();
                eof_ = true;
                owner_.release(this);
                shut();
                return;
            }
            out_.erase(0, static_cast<size_t>(n));
            last_active_ = owner_.loop_.now();
        }
    }

    void update_interest() {
        bool backlogged = out_.size() >= kOutHighWatermark;
        uint32_t events = (backlogged || eof_ ? 0u : EPOLLIN | EPOLLRDHUP) |
                          (out_.empty() ? 0u : EPOLLOUT);
        if (events != interest_) {
            owner_.loop_.modify(fd_, events, this);
            interest_ = events;
        }
    }

    ControlSocket& owner_;
    int fd_;
    std::string in_;
    std::string out_;
    bool eof_ = false;
    uint32_t interest_ = EPOLLIN | EPOLLRDHUP;
    Clock::time_point last_active_;
};

ControlSocket::ControlSocket(net::EventLoop& loop, CommandContext context, std::string path)
    : loop_(loop), context_(std::move(context)), path_(std::move(path)) {}

ControlSocket::~ControlSocket() { close(); }

void ControlSocket::open() {
    sockaddr_un addr;
    if (!fill_address(path_, addr)) {
        // Not fatal: the broker serves AMQP as before, only warrenctl cannot reach it.
        log().error("control socket path '{}' is longer than {} bytes: warrenctl cannot reach "
                    "this broker (use a shorter --data-dir)",
                    path_, sizeof addr.sun_path - 1);
        return;
    }
    struct stat st {};
    if (lstat(path_.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            throw std::runtime_error(path_ + " exists and is not a socket");
        if (is_live(addr))
            throw std::runtime_error("another broker is running on this data directory (" +
                                     path_ + " answers)");
        log().info("removing stale control socket {}", path_);
        ::unlink(path_.c_str());
    }
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    // Owner-only before listen(): nobody can connect while the mode is still the umask's.
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        chmod(path_.c_str(), 0600) != 0 || ::listen(fd_, 16) != 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        ::unlink(path_.c_str());
        throw std::runtime_error("cannot create control socket " + path_ + ": " +
                                 std::strerror(err));
    }
    if (stat(path_.c_str(), &st) == 0) inode_ = st.st_ino;
    loop_.add(fd_, EPOLLIN, this);
    log().info("control socket for warrenctl at {}", path_);
}

void ControlSocket::close() {
    loop_.cancel_timer(*this);
    loop_.cancel(*this);
    clients_.clear();
    released_.clear();
    if (fd_ < 0) return;
    loop_.remove(fd_);
    ::close(fd_);
    fd_ = -1;
    struct stat st {};
    if (stat(path_.c_str(), &st) == 0 && st.st_ino == inode_) ::unlink(path_.c_str());
}

void ControlSocket::on_io(uint32_t) {
    for (;;) {
        int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            return;
        }
        accept_one(fd);
    }
}

void ControlSocket::accept_one(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    std::string refusal;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        refusal = "cannot read the peer's credentials";
    else if (cred.uid != 0 && cred.uid != geteuid())
        refusal = "access refused: the control socket accepts only uid " +
                  std::to_string(geteuid()) + " and root, not uid " + std::to_string(cred.uid);
    else if (clients_.size() - released_.size() >= kMaxClients)
        refusal = "too many control connections";
    if (!refusal.empty()) {
        log().warn("control socket: refused a client (pid {}): {}", cred.pid, refusal);
        std::string line = reply_line(
            json{{"ok", false},
                 {"refused", true},
                 {"exit_code", kExitUnavailable},
                 {"error", refusal}});
        [[maybe_unused]] ssize_t n = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
        ::close(fd);
        return;
    }
    clients_.push_back(std::make_unique<Client>(*this, fd));
    arm_sweep();
}

void ControlSocket::release(Client* client) {
    if (std::find(released_.begin(), released_.end(), client) != released_.end()) return;
    client->shut();
    released_.push_back(client);
    loop_.schedule(*this, 0);  // deleted at the end of the turn, not inside its own call
}

void ControlSocket::arm_sweep() {
    if (!clients_.empty()) loop_.schedule_at(*this, loop_.now() + kSweepPeriod);
}

void ControlSocket::run_turn_task() {
    auto limit = loop_.now() - kIdleTimeout;
    for (auto& c : clients_)
        if (c->idle_since(limit)) release(c.get());
    auto gone = std::move(released_);
    released_.clear();
    std::erase_if(clients_, [&](const std::unique_ptr<Client>& c) {
        return std::find(gone.begin(), gone.end(), c.get()) != gone.end();
    });
    arm_sweep();
}

}  // namespace warren::admin
