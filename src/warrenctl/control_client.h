#pragma once

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <string>

namespace warrenctl {

/// warrenctl's end of the control socket (warren/admin/protocol.h): blocking, one
/// request line out and one reply line back, each bounded by a deadline.
class ControlClient {
public:
    ControlClient() = default;
    ~ControlClient();
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;

    /// Connects to the broker's socket; on failure `error` says why (strerror's words).
    bool connect(const std::string& path, std::string& error);
    /// Sends `request` and waits up to `timeout_s` for the reply.
    bool call(const nlohmann::json& request, nlohmann::json& reply, double timeout_s,
              std::string& error);
    /// Waits until the broker closes the connection; false on timeout.
    bool wait_closed(double timeout_s);
    /// The broker's process id (SO_PEERCRED), 0 if unknown.
    pid_t peer_pid() const { return peer_pid_; }
    void close();

private:
    int fd_ = -1;
    pid_t peer_pid_ = 0;
    std::string in_;
};

}  // namespace warrenctl
