#include "warren-perf/consumer.h"
#include "warren-perf/modes.h"
#include "warren-perf/producer.h"
#include "warren-perf/reporter.h"
#include "warren-perf/topology.h"

#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

namespace warren::perf {
namespace {

ProducerConfig producer_config(const Options& o, const Topology& topology, int i) {
    ProducerConfig c;
    c.index = i;
    c.publish.exchange = o.exchange;
    c.publish.routing_key = topology.routing_key_for(topology.queue_for(i));
    c.publish.mandatory = o.mandatory;
    c.publish.persistent = o.persistent;
    c.publish.body_size = o.body_size;
    c.publish.delayed = o.is_delayed();
    c.delay_lead_ms = static_cast<int64_t>(o.delay_lead_s * 1000);
    c.delay_spread_ms = static_cast<int64_t>(o.delay_spread_s * 1000);
    c.count = o.publish_count;
    c.rate = o.rate;
    c.confirm_window = o.max_outstanding_confirms;
    return c;
}

ConsumerConfig consumer_config(const Options& o, const Topology& topology, int i) {
    ConsumerConfig c;
    c.index = i;
    c.queue = topology.queue_for(i);
    c.prefetch_count = o.prefetch_count;
    c.auto_ack = o.auto_ack;
    c.multi_ack_every = o.multi_ack_every;
    c.count = o.consume_count;
    c.stop_when_idle = o.producers > 0 || o.duration_s == 0;
    return c;
}

void print_header(const Options& o, const Topology& topology) {
    std::string queues = topology.queues().size() == 1
                             ? "queue '" + topology.queues()[0] + "'"
                             : std::to_string(topology.queues().size()) + " queues";
    std::string bound;
    if (o.duration_s > 0) {
        bound = ", for " + format_rate(o.duration_s) + " s" +
                (o.duration_defaulted ? " (default; see -z, -C, -D)" : "");
    }
    if (o.publish_count > 0) bound += ", " + std::to_string(o.publish_count) + " per producer";
    if (o.consume_count > 0) bound += ", " + std::to_string(o.consume_count) + " per consumer";
    fprintf(progress_stream(o),
            "warren-perf: %d producers, %d consumers, %u-byte bodies, %s at %s%s\n", o.producers,
            o.consumers, o.body_size, queues.c_str(), o.uri.display().c_str(), bound.c_str());
}

void print_summary(const Options& o, const Totals& t, int64_t start_ns, int64_t end_ns,
                   const CpuTime& cpu) {
    double elapsed = static_cast<double>(end_ns - start_ns) / 1e9;
    double sent_rate = rate(t.sent, start_ns, t.last_send_ns);
    double received_rate = rate(t.received, start_ns, t.last_receive_ns);
    double confirmed_rate = rate(t.confirmed, start_ns, t.last_confirm_ns);
    if (o.json) {
        nlohmann::ordered_json j;
        j["mode"] = "load";
        j["producers"] = o.producers;
        j["consumers"] = o.consumers;
        j["body_size"] = o.body_size;
        j["elapsed_s"] = round_to(elapsed, 3);
        j["sent"] = t.sent;
        j["received"] = t.received;
        j["confirmed"] = t.confirmed;
        j["nacked"] = t.nacked;
        j["returned"] = t.returned;
        j["sent_rate"] = round_to(sent_rate, 1);
        j["received_rate"] = round_to(received_rate, 1);
        j["confirmed_rate"] = round_to(confirmed_rate, 1);
        j["latency_us"] = latency_json(t.latency);
        j["early"] = t.early;
        j["blocked_s"] = round_to(static_cast<double>(t.blocked_ns) / 1e9, 3);
        add_cpu_json(j, cpu);
        printf("%s\n", j.dump().c_str());
        return;
    }
    printf("summary: %.2f s\n", elapsed);
    auto line = [](const char* what, uint64_t n, double per_s) {
        printf("  %-11s %llu msg, %s msg/s\n", what, static_cast<unsigned long long>(n),
               format_rate(per_s).c_str());
    };
    if (o.producers > 0) line("sent:", t.sent, sent_rate);
    if (o.consumers > 0) line("received:", t.received, received_rate);
    if (o.max_outstanding_confirms > 0) line("confirmed:", t.confirmed, confirmed_rate);
    if (t.nacked > 0) printf("  nacked:     %llu\n", static_cast<unsigned long long>(t.nacked));
    if (t.returned > 0) {
        printf("  returned:   %llu (unroutable)\n", static_cast<unsigned long long>(t.returned));
    }
    if (t.blocked_ns > 0) {
        printf("  blocked:    %.2f s (connection.blocked)\n",
               static_cast<double>(t.blocked_ns) / 1e9);
    }
    auto lat = latency_json(t.latency);
    if (!lat.is_null()) {
        printf(
            "  latency:    p50 %.1f µs, p75 %.1f µs, p95 %.1f µs, p99 %.1f µs, max %.1f µs "
            "(%llu samples)\n",
            lat["p50"].get<double>(), lat["p75"].get<double>(), lat["p95"].get<double>(),
            lat["p99"].get<double>(), lat["max"].get<double>(),
            static_cast<unsigned long long>(t.latency.total));
    }
    if (t.early > 0) {
        printf("  early:      %llu delayed messages before their due time\n",
               static_cast<unsigned long long>(t.early));
    }
    printf("  client cpu: %.2f s (user %.2f s, sys %.2f s)\n", cpu.total_s(), cpu.user_s,
           cpu.sys_s);
}

}  // namespace

int run_load(const Options& o) {
    Topology topology(o);
    if (!topology.declare()) {
        fprintf(stderr, "warren-perf: setup failed: %s\n", topology.error().c_str());
        topology.remove();
        return 1;
    }

    RunState state;
    ProducerStatsList producer_stats(static_cast<size_t>(o.producers));
    ConsumerStatsList consumer_stats(static_cast<size_t>(o.consumers));
    std::vector<std::unique_ptr<Producer>> producers;
    std::vector<std::unique_ptr<Consumer>> consumers;
    for (int i = 0; i < o.consumers; ++i) {
        consumers.push_back(std::make_unique<Consumer>(
            o.uri, consumer_config(o, topology, i), state, consumer_stats[static_cast<size_t>(i)]));
    }
    for (int i = 0; i < o.producers; ++i) {
        producers.push_back(std::make_unique<Producer>(
            o.uri, producer_config(o, topology, i), state, producer_stats[static_cast<size_t>(i)]));
    }
    state.producers_running.store(o.producers);

    // Consumers subscribe before any producer starts.
    std::vector<std::thread> threads;
    for (auto& c : consumers) threads.emplace_back([&c] { c->run(); });
    for (auto& p : producers) threads.emplace_back([&p] { p->run(); });

    int exit_code = 0;
    if (state.wait_ready(o.producers + o.consumers)) {
        print_header(o, topology);
        CpuTime cpu_start = CpuTime::now();
        state.start(o.duration_s);
        Reporter reporter(o, state, producer_stats, consumer_stats);
        reporter.run();
        for (auto& t : threads) t.join();
        CpuTime cpu = CpuTime::now() - cpu_start;
        print_summary(o, Totals::collect(producer_stats, consumer_stats), state.start_ns(),
                      reporter.end_ns(), cpu);
    } else {
        state.request_stop();
        for (auto& t : threads) t.join();
    }
    if (state.failed()) {
        fprintf(stderr, "warren-perf: %s\n", state.error().c_str());
        exit_code = 1;
    }
    std::string warnings = topology.remove();
    if (!warnings.empty()) fprintf(stderr, "warren-perf: cleanup: %s", warnings.c_str());
    return exit_code;
}

}  // namespace warren::perf
