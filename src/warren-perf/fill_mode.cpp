#include "warren-perf/consumer.h"
#include "warren-perf/modes.h"
#include "warren-perf/producer.h"
#include "warren-perf/reporter.h"
#include "warren-perf/topology.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

namespace warren::perf {
namespace {

// Confirms keep the fill honest: a message counts once the broker has taken it.
constexpr uint32_t kDefaultFillWindow = 10000;

struct PhaseResult {
    Totals totals;
    double seconds = 0;
    CpuTime cpu;
    bool ok = false;
};

template <class Worker>
PhaseResult run_phase(const Options& o, RunState& state,
                      std::vector<std::unique_ptr<Worker>>& workers,
                      const ProducerStatsList& producer_stats,
                      const ConsumerStatsList& consumer_stats, const std::string& label) {
    PhaseResult result;
    std::vector<std::thread> threads;
    for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
    if (!state.wait_ready(static_cast<int>(workers.size()))) {
        state.request_stop();
        for (auto& t : threads) t.join();
        return result;
    }
    CpuTime cpu_start = CpuTime::now();
    state.start(o.duration_s);
    Reporter reporter(o, state, producer_stats, consumer_stats);
    reporter.run(label);
    for (auto& t : threads) t.join();
    result.cpu = CpuTime::now() - cpu_start;
    result.totals = Totals::collect(producer_stats, consumer_stats);
    int64_t last = label == "fill" ? result.totals.last_confirm_ns : result.totals.last_receive_ns;
    result.seconds =
        last > state.start_ns() ? static_cast<double>(last - state.start_ns()) / 1e9 : 0;
    result.ok = !state.failed();
    return result;
}

}  // namespace

int run_fill(const Options& o) {
    Topology topology(o);
    if (!topology.declare()) {
        fprintf(stderr, "warren-perf: setup failed: %s\n", topology.error().c_str());
        topology.remove();
        return 1;
    }
    FILE* progress = progress_stream(o);
    int producers = static_cast<int>(std::min<uint64_t>(o.producers, o.fill_count));
    fprintf(progress,
            "warren-perf: fill %llu messages (%u-byte bodies%s) with %d producers, then drain with "
            "%d consumers, %zu queues at %s\n",
            static_cast<unsigned long long>(o.fill_count), o.body_size,
            o.persistent ? ", persistent" : "", producers, o.consumers, topology.queues().size(),
            o.uri.display().c_str());

    RunState fill_state;
    ProducerStatsList producer_stats(static_cast<size_t>(producers));
    ConsumerStatsList no_consumers;
    std::vector<std::unique_ptr<Producer>> fillers;
    for (int i = 0; i < producers; ++i) {
        ProducerConfig c;
        c.index = i;
        c.publish.exchange = o.exchange;
        c.publish.routing_key = topology.routing_key_for(topology.queue_for(i));
        c.publish.mandatory = o.mandatory;
        c.publish.persistent = o.persistent;
        c.publish.body_size = o.body_size;
        c.count =
            o.fill_count / static_cast<uint64_t>(producers) +
            (static_cast<uint64_t>(i) < o.fill_count % static_cast<uint64_t>(producers) ? 1 : 0);
        c.rate = o.rate;
        c.confirm_window =
            o.max_outstanding_confirms > 0 ? o.max_outstanding_confirms : kDefaultFillWindow;
        fillers.push_back(std::make_unique<Producer>(o.uri, c, fill_state,
                                                     producer_stats[static_cast<size_t>(i)]));
    }
    fill_state.producers_running.store(producers);
    PhaseResult fill = run_phase(o, fill_state, fillers, producer_stats, no_consumers, "fill");

    PhaseResult drain;
    std::atomic<uint64_t> drained{0};
    RunState drain_state;
    ProducerStatsList no_producers;
    ConsumerStatsList consumer_stats(static_cast<size_t>(o.consumers));
    if (fill.ok) {
        std::vector<std::unique_ptr<Consumer>> drainers;
        for (int i = 0; i < o.consumers; ++i) {
            ConsumerConfig c;
            c.index = i;
            c.queue = topology.queue_for(i);
            c.prefetch_count = o.prefetch_count;
            c.auto_ack = o.auto_ack;
            c.multi_ack_every = o.multi_ack_every;
            c.shared_received = &drained;
            c.shared_target = fill.totals.confirmed;
            c.consume_after_start = true;
            drainers.push_back(std::make_unique<Consumer>(o.uri, c, drain_state,
                                                          consumer_stats[static_cast<size_t>(i)]));
        }
        drain = run_phase(o, drain_state, drainers, no_producers, consumer_stats, "drain");
    }

    int exit_code = 0;
    for (RunState* s : {&fill_state, &drain_state}) {
        if (s->failed()) {
            fprintf(stderr, "warren-perf: %s\n", s->error().c_str());
            exit_code = 1;
        }
    }
    double fill_rate =
        fill.seconds > 0 ? static_cast<double>(fill.totals.confirmed) / fill.seconds : 0;
    double drain_rate =
        drain.seconds > 0 ? static_cast<double>(drain.totals.received) / drain.seconds : 0;
    CpuTime cpu{fill.cpu.user_s + drain.cpu.user_s, fill.cpu.sys_s + drain.cpu.sys_s};
    if (o.json) {
        nlohmann::ordered_json j;
        j["mode"] = "fill";
        j["messages"] = o.fill_count;
        j["producers"] = producers;
        j["consumers"] = o.consumers;
        j["body_size"] = o.body_size;
        j["persistent"] = o.persistent;
        j["sent"] = fill.totals.sent;
        j["confirmed"] = fill.totals.confirmed;
        j["nacked"] = fill.totals.nacked;
        j["fill_s"] = round_to(fill.seconds, 3);
        j["fill_rate"] = round_to(fill_rate, 1);
        j["received"] = drain.totals.received;
        j["drain_s"] = round_to(drain.seconds, 3);
        j["drain_rate"] = round_to(drain_rate, 1);
        add_cpu_json(j, cpu);
        printf("%s\n", j.dump().c_str());
    } else {
        printf("fill:  %llu confirmed in %.2f s, %s msg/s",
               static_cast<unsigned long long>(fill.totals.confirmed), fill.seconds,
               format_rate(fill_rate).c_str());
        if (fill.totals.nacked > 0) {
            printf(" (%llu nacked)", static_cast<unsigned long long>(fill.totals.nacked));
        }
        printf("\ndrain: %llu received in %.2f s, %s msg/s\n",
               static_cast<unsigned long long>(drain.totals.received), drain.seconds,
               format_rate(drain_rate).c_str());
        printf("client cpu: %.2f s (fill %.2f s, drain %.2f s)\n", cpu.total_s(),
               fill.cpu.total_s(), drain.cpu.total_s());
    }
    std::string warnings = topology.remove();
    if (!warnings.empty()) fprintf(stderr, "warren-perf: cleanup: %s", warnings.c_str());
    return exit_code;
}

}  // namespace warren::perf
