// warren-server: wiring only. Parses options, builds the loop, broker, AMQP server and
// warrenctl's control socket, and runs until SIGTERM, SIGINT or `warrenctl stop`.
#include "warren/admin/control_socket.h"
#include "warren/admin/protocol.h"
#include "warren/broker/broker.h"
#include "warren/config/options.h"
#include "warren/conn/server.h"
#include "warren/net/event_loop.h"
#include "warren/util/log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace {

warren::net::EventLoop* g_loop = nullptr;

void on_signal(int) {
    if (g_loop) g_loop->stop();
}

/// rabbitmq-server -detached: the parent returns once the child listens (or failed); the
/// child logs to <data dir>/warren.log.
int detach(int& ready_fd, const std::string& data_dir) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid > 0) {
        close(fds[1]);
        char status = 1;
        ssize_t n = read(fds[0], &status, 1);
        return (n == 1 && status == 0) ? 0 : 1;
    }
    close(fds[0]);
    setsid();
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        close(devnull);
    }
    std::string log_path = data_dir + "/warren.log";
    int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (log_fd >= 0) {
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        close(log_fd);
    }
    ready_fd = fds[1];
    return -1;
}

void report_ready(int& ready_fd, char status) {
    if (ready_fd < 0) return;
    [[maybe_unused]] ssize_t n = write(ready_fd, &status, 1);
    close(ready_fd);
    ready_fd = -1;
}

}  // namespace

int main(int argc, char** argv) {
    warren::config::Config config;
    int ready_fd = -1;
    try {
        if (warren::config::parse_command_line(argc, argv, config) ==
            warren::config::ParseOutcome::ExitOk)
            return 0;
        // Detached, the log is <data dir>/warren.log: RabbitMQ's log.file.level applies.
        const std::string& level = config.detached && !config.log_file_level.empty()
                                       ? config.log_file_level
                                       : config.log_level;
        if (!warren::util::set_log_level(level))
            throw std::runtime_error("unknown log level '" + level + "'");
        std::filesystem::create_directories(config.data_dir);
        if (config.detached) {
            int parent_status = detach(ready_fd, config.data_dir);
            if (parent_status >= 0) return parent_status;
        }
        auto& log = warren::util::logger("server");
        if (!config.pid_file.empty()) std::ofstream(config.pid_file) << getpid() << "\n";

        warren::net::EventLoop loop;
        warren::broker::Broker broker(loop, config);
        broker.start();
        warren::conn::Server server(loop, broker);
        server.listen(config.bind, config.port);
        if (config.tls_port != 0)
            server.listen_tls(config.tls_bind.empty() ? config.bind : config.tls_bind,
                              config.tls_port);
        warren::admin::ControlSocket control(
            loop, {broker, server, [&loop] { loop.stop(); }, warren::admin::local_node_name()},
            warren::admin::socket_path(config.data_dir));
        control.open();

        g_loop = &loop;
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, nullptr);
        sigaction(SIGINT, &sa, nullptr);
        signal(SIGPIPE, SIG_IGN);
        // A file size limit (ulimit -f) makes writes fail with EFBIG, handled as any write
        // error, instead of killing the broker.
        signal(SIGXFSZ, SIG_IGN);

        if (!config.config_file.empty()) log.info("config file: {}", config.config_file);
        log.info("Warren 0.1.0 listening on {}:{} (data in {})",
                 config.bind.empty() ? "*" : config.bind, server.bound_port(), config.data_dir);
        if (config.tls_port != 0) {
            const std::string& tls_bind = config.tls_bind.empty() ? config.bind : config.tls_bind;
            log.info("amqps (TLS) listening on {}:{} (certificate {}, verify {})",
                     tls_bind.empty() ? "*" : tls_bind, server.tls_bound_port(),
                     config.tls_cert_file, config.tls_verify_peer ? "verify_peer" : "verify_none");
        }
        report_ready(ready_fd, 0);
        loop.run();
        log.info("shutting down: closing {} connection(s)", server.connection_count());
        server.close_all("broker forced connection closure with reason 'shutdown'");
        control.close();
        g_loop = nullptr;
        if (!config.pid_file.empty()) std::filesystem::remove(config.pid_file);
        log.info("stopped");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "warren-server: %s\n", e.what());
        report_ready(ready_fd, 1);
        return 1;
    }
}
