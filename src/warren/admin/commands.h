#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace warren::broker {
class Broker;
}
namespace warren::conn {
class Server;
}

namespace warren::admin {

/// What control commands act on. Everything runs on the loop thread.
struct CommandContext {
    broker::Broker& broker;
    conn::Server& server;
    /// Begins a clean shutdown (as SIGTERM), after the current reply is written.
    std::function<void()> stop;
    std::string node = {};
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

/// Runs one request ({"command": ..., arguments}) and returns its reply. Never throws: a
/// malformed request gets an error reply.
nlohmann::json run_command(CommandContext& ctx, const nlohmann::json& request);

}  // namespace warren::admin
