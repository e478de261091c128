#pragma once

#include "warren/admin/commands.h"
#include "warren/net/event_loop.h"

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace warren::admin {

/// The broker's end of warrenctl: a Unix socket, <data dir>/warren.sock, mode 0600, that
/// accepts only peers of the broker's own uid or root (SO_PEERCRED). Each client sends JSON
/// requests, one a line, and gets one JSON reply line each (admin/protocol.h). Everything is
/// non-blocking on the loop thread: requests and replies are bounded, a client that stops
/// reading stops being read, an idle one is dropped, and none can stall the broker.
class ControlSocket : public net::IoHandler, private net::TurnTask {
public:
    ControlSocket(net::EventLoop& loop, CommandContext context, std::string path);
    ~ControlSocket() override;
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    /// Creates the socket, replacing a stale one left by a broker that died. Throws
    /// std::runtime_error if a live broker answers there, or the socket cannot be made;
    /// logs an error and goes on without it if the path is too long for a Unix socket.
    void open();
    /// Clean shutdown: drops clients and removes the socket file.
    void close();
    const std::string& path() const { return path_; }
    size_t client_count() const { return clients_.size(); }

    void on_io(uint32_t events) override;

private:
    class Client;
    static constexpr size_t kMaxClients = 64;

    void accept_one(int fd);
    void release(Client* client);
    void run_turn_task() override;  // deletes released clients, drops idle ones
    void arm_sweep();

    net::EventLoop& loop_;
    CommandContext context_;
    std::string path_;
    int fd_ = -1;
    ino_t inode_ = 0;  // of the socket file we made, so close() removes only ours
    std::vector<std::unique_ptr<Client>> clients_;
    std::vector<Client*> released_;
};

}  // namespace warren::admin
