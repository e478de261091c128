#include "warren-perf/client.h"
#include "warren-perf/modes.h"
#include "warren-perf/reporter.h"

#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace warren::perf {
namespace {

constexpr size_t kIdleReadBuffer = 16 * 1024;
constexpr int64_t kConnectTimeoutNs = 30 * kNsPerSec;
constexpr int64_t kCloseTimeoutNs = 5 * kNsPerSec;
constexpr int kPollSliceMs = 100;

/// Queue q lives on connection q % K, channel (q / K) % M + 1, so both spread evenly.
struct QueueHome {
    size_t connection;
    uint16_t channel;
};

QueueHome home_of(uint32_t q, const Options& o) {
    return {q % o.idle_connections,
            static_cast<uint16_t>((q / o.idle_connections) % o.idle_channels + 1)};
}

std::string idle_queue_name(const Options& o, uint32_t q) {
    std::string base = o.queue.empty() ? "warren-perf-" + std::to_string(getpid()) : o.queue;
    return base + "-idle-" + std::to_string(q + 1);
}

/// Waits out the hold, watching every socket for a close from the broker.
bool hold(std::vector<std::unique_ptr<Client>>& clients, int64_t until_ns, std::string& error) {
    std::vector<pollfd> fds;
    fds.reserve(clients.size());
    for (auto& c : clients) fds.push_back(pollfd{c->fd(), POLLIN, 0});
    while (now_ns() < until_ns && !interrupted()) {
        int64_t left_ms = (until_ns - now_ns()) / kNsPerMs + 1;
        int rc = ::poll(fds.data(), fds.size(),
                        static_cast<int>(std::min<int64_t>(left_ms, kPollSliceMs)));
        if (rc <= 0) continue;
        for (size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            Client& c = *clients[i];
            if (c.read_some() < 0) {
                error = "connection " + std::to_string(i + 1) + ": " + c.error();
                return false;
            }
            amqp::Frame frame;
            while (c.next_frame(frame)) {
                if (c.handle_control(frame) == Control::Fatal) break;
            }
            if (c.failed()) {
                error = "connection " + std::to_string(i + 1) + ": " + c.error();
                return false;
            }
        }
    }
    return true;
}

}  // namespace

int run_idle(const Options& o) {
    FILE* progress = progress_stream(o);
    CpuTime cpu_start = CpuTime::now();
    int64_t open_start = now_ns();
    std::vector<std::unique_ptr<Client>> clients;
    clients.reserve(o.idle_connections);
    std::string error;
    for (uint32_t k = 0; k < o.idle_connections && error.empty() && !interrupted(); ++k) {
        auto c = std::make_unique<Client>(kIdleReadBuffer);
        std::string name = "warren-perf idle " + std::to_string(k + 1);
        bool ok = c->connect(o.uri, name, kConnectTimeoutNs);
        for (uint32_t ch = 1; ok && ch <= o.idle_channels; ++ch) {
            ok = c->open_channel(static_cast<uint16_t>(ch));
        }
        if (!ok) error = "connection " + std::to_string(k + 1) + ": " + c->error();
        clients.push_back(std::move(c));
    }
    uint32_t declared = 0;
    for (uint32_t q = 0; q < o.idle_queues && error.empty(); ++q, ++declared) {
        QueueHome home = home_of(q, o);
        amqp::QueueDeclare declare;
        std::string name = idle_queue_name(o, q);
        declare.queue = name;
        declare.durable = o.persistent;
        amqp::QueueDeclareOk ok;
        if (!clients[home.connection]->call(home.channel, declare, ok)) {
            error = "declaring queue '" + name + "': " + clients[home.connection]->error();
            break;
        }
    }
    double open_s = static_cast<double>(now_ns() - open_start) / 1e9;

    double hold_s = 0;
    if (error.empty()) {
        fprintf(progress,
                "idle: holding %u connections, %llu channels, %u queues for %s s (opened in %.2f "
                "s, pid %d)\n",
                o.idle_connections,
                static_cast<unsigned long long>(o.idle_connections) * o.idle_channels,
                o.idle_queues, format_rate(o.duration_s).c_str(), open_s, getpid());
        fflush(progress);
        int64_t hold_start = now_ns();
        hold(clients, hold_start + seconds_to_ns(o.duration_s), error);
        hold_s = static_cast<double>(now_ns() - hold_start) / 1e9;
    }

    int64_t close_start = now_ns();
    if (o.auto_delete) {
        for (uint32_t q = 0; q < declared; ++q) {
            QueueHome home = home_of(q, o);
            Client& c = *clients[home.connection];
            if (c.failed()) continue;
            amqp::QueueDelete del;
            std::string name = idle_queue_name(o, q);
            del.queue = name;
            amqp::QueueDeleteOk ok;
            if (!c.call(home.channel, del, ok) && error.empty()) {
                error = "deleting queue '" + name + "': " + c.error();
            }
        }
    }
    for (auto& c : clients) c->close(kCloseTimeoutNs);
    double close_s = static_cast<double>(now_ns() - close_start) / 1e9;
    CpuTime cpu = CpuTime::now() - cpu_start;

    if (o.json) {
        nlohmann::ordered_json j;
        j["mode"] = "idle";
        j["connections"] = clients.size();
        j["channels"] = static_cast<uint64_t>(clients.size()) * o.idle_channels;
        j["queues"] = declared;
        j["open_s"] = round_to(open_s, 3);
        j["hold_s"] = round_to(hold_s, 3);
        j["close_s"] = round_to(close_s, 3);
        add_cpu_json(j, cpu);
        printf("%s\n", j.dump().c_str());
    } else {
        printf(
            "idle: %zu connections, %llu channels, %u queues; opened in %.2f s, held %.2f s, "
            "closed in %.2f s; client cpu %.2f s\n",
            clients.size(), static_cast<unsigned long long>(clients.size()) * o.idle_channels,
            declared, open_s, hold_s, close_s, cpu.total_s());
    }
    if (!error.empty()) {
        fprintf(stderr, "warren-perf: %s\n", error.c_str());
        return 1;
    }
    return 0;
}

}  // namespace warren::perf
