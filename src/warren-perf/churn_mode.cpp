#include "warren-perf/client.h"
#include "warren-perf/modes.h"
#include "warren-perf/publish_batch.h"
#include "warren-perf/reporter.h"

#include <cstdio>
#include <thread>
#include <vector>

namespace warren::perf {
namespace {

constexpr size_t kChurnReadBuffer = 64 * 1024;
constexpr int64_t kTimeoutNs = 30 * kNsPerSec;

/// One churn iteration: connect, declare a server-named exclusive queue, publish one message
/// to it, close. The queue goes with the connection.
bool churn_once(const Options& o, int thread, std::string& error) {
    Client c(kChurnReadBuffer);
    bool ok = c.connect(o.uri, "warren-perf churn " + std::to_string(thread + 1), kTimeoutNs) &&
              c.open_channel(1);
    amqp::QueueDeclareOk declared;
    if (ok) {
        amqp::QueueDeclare declare;
        declare.exclusive = true;
        declare.auto_delete = true;
        ok = c.call(1, declare, declared);
    }
    if (ok) {
        PublishSpec spec;
        spec.routing_key = std::string(declared.queue);
        spec.persistent = o.persistent;
        spec.body_size = o.body_size;
        PublishBatch one(spec, c.frame_max(), 0);
        c.out().append(one.data(), one.stride());
        ok = c.flush(now_ns() + kTimeoutNs);
    }
    if (ok) {
        c.close(kTimeoutNs);
        ok = !c.failed();
    }
    if (!ok) error = c.error();
    return ok;
}

}  // namespace

int run_churn(const Options& o) {
    FILE* progress = progress_stream(o);
    RunState state;
    ProducerStatsList counters(static_cast<size_t>(o.producers));
    std::vector<std::thread> threads;
    for (int i = 0; i < o.producers; ++i) {
        threads.emplace_back([&, i] {
            ProducerStats& mine = counters[static_cast<size_t>(i)];
            state.worker_ready();
            if (state.wait_start()) {
                std::string error;
                uint64_t done = 0;
                while (!state.should_stop() && !state.past_deadline(now_ns()) &&
                       (o.publish_count == 0 || done < o.publish_count)) {
                    if (!churn_once(o, i, error)) {
                        state.fail("churn " + std::to_string(i + 1) + ": " + error);
                        break;
                    }
                    ++done;
                    mine.sent.add(1);
                    mine.last_send_ns.store(now_ns());
                }
            }
            mine.done.store(true);
            state.worker_done();
        });
    }
    state.wait_ready(o.producers);
    fprintf(progress, "warren-perf: churn with %d threads at %s\n", o.producers,
            o.uri.display().c_str());
    CpuTime cpu_start = CpuTime::now();
    state.start(o.duration_s);

    auto total = [&] {
        uint64_t n = 0;
        for (const ProducerStats& p : counters) n += p.sent.get();
        return n;
    };
    auto all_done = [&] {
        for (const ProducerStats& p : counters) {
            if (!p.done.load()) return false;
        }
        return true;
    };
    uint64_t before = 0;
    int64_t tick = state.start_ns();
    CpuTime cpu_before = cpu_start;
    while (!all_done()) {
        state.wait_until(std::min(tick + kNsPerSec, now_ns() + 100 * kNsPerMs));
        if (interrupted()) state.request_stop();
        int64_t now = now_ns();
        if (now < tick + kNsPerSec) continue;
        uint64_t n = total();
        CpuTime cpu = CpuTime::now();
        double interval = static_cast<double>(now - tick) / 1e9;
        fprintf(progress, "time: %.1fs, connections: %s/s, cpu: %s%%\n",
                static_cast<double>(now - state.start_ns()) / 1e9,
                format_rate(static_cast<double>(n - before) / interval).c_str(),
                format_rate(100.0 * (cpu - cpu_before).total_s() / interval).c_str());
        fflush(progress);
        before = n;
        tick = now;
        cpu_before = cpu;
    }
    for (auto& t : threads) t.join();
    CpuTime cpu = CpuTime::now() - cpu_start;
    int64_t last = state.start_ns();
    for (const ProducerStats& p : counters) last = std::max(last, p.last_send_ns.load());
    uint64_t connections = total();
    double elapsed = static_cast<double>(now_ns() - state.start_ns()) / 1e9;
    double per_s = rate(connections, state.start_ns(), last);
    if (o.json) {
        nlohmann::ordered_json j;
        j["mode"] = "churn";
        j["threads"] = o.producers;
        j["connections"] = connections;
        j["elapsed_s"] = round_to(elapsed, 3);
        j["connections_rate"] = round_to(per_s, 1);
        add_cpu_json(j, cpu);
        printf("%s\n", j.dump().c_str());
    } else {
        printf("churn: %llu connections in %.2f s, %s connections/s; client cpu %.2f s\n",
               static_cast<unsigned long long>(connections), elapsed, format_rate(per_s).c_str(),
               cpu.total_s());
    }
    if (state.failed()) {
        fprintf(stderr, "warren-perf: %s\n", state.error().c_str());
        return 1;
    }
    return 0;
}

}  // namespace warren::perf
