#include "warren-perf/reporter.h"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>

namespace warren::perf {
namespace {

std::atomic<bool> g_interrupted{false};

void on_sigint(int) {
    g_interrupted.store(true);
    signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

double seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

std::string format_us(uint64_t ns) {
    char buf[32];
    double us = static_cast<double>(ns) / 1e3;
    snprintf(buf, sizeof buf, us < 100 ? "%.1f" : "%.0f", us);
    return buf;
}

}  // namespace

bool interrupted() { return g_interrupted.load(); }

void install_interrupt_handler() { signal(SIGINT, on_sigint); }

CpuTime CpuTime::now() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return {seconds(ru.ru_utime), seconds(ru.ru_stime)};
}

Totals Totals::collect(const ProducerStatsList& producers, const ConsumerStatsList& consumers) {
    Totals t;
    for (const ProducerStats& p : producers) {
        t.sent += p.sent.get();
        t.confirmed += p.confirmed.get();
        t.nacked += p.nacked.get();
        t.returned += p.returned.get();
        t.last_send_ns = std::max(t.last_send_ns, p.last_send_ns.load());
        t.last_confirm_ns = std::max(t.last_confirm_ns, p.last_confirm_ns.load());
        t.blocked_ns += p.blocked_ns.load();
    }
    for (const ConsumerStats& c : consumers) {
        t.received += c.received.get();
        t.early += c.early.get();
        t.last_receive_ns = std::max(t.last_receive_ns, c.last_receive_ns.load());
        c.latency.add_to(t.latency);
    }
    return t;
}

FILE* progress_stream(const Options& options) { return options.json ? stderr : stdout; }

std::string format_rate(double per_s) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", per_s);
    return buf;
}

double round_to(double v, int decimals) {
    double scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

void add_cpu_json(nlohmann::ordered_json& j, const CpuTime& cpu) {
    j["client_cpu_s"] = round_to(cpu.total_s(), 3);
    j["client_cpu_user_s"] = round_to(cpu.user_s, 3);
    j["client_cpu_sys_s"] = round_to(cpu.sys_s, 3);
}

double rate(uint64_t count, int64_t from_ns, int64_t to_ns) {
    if (count == 0 || to_ns <= from_ns) return 0;
    return static_cast<double>(count) * 1e9 / static_cast<double>(to_ns - from_ns);
}

nlohmann::ordered_json latency_json(const LatencySnapshot& latency) {
    if (latency.total == 0) return nullptr;
    auto us = [](uint64_t ns) { return std::round(static_cast<double>(ns) / 10.0) / 100.0; };
    nlohmann::ordered_json j;
    j["p50"] = us(latency.percentile_ns(0.50));
    j["p75"] = us(latency.percentile_ns(0.75));
    j["p95"] = us(latency.percentile_ns(0.95));
    j["p99"] = us(latency.percentile_ns(0.99));
    j["p999"] = us(latency.percentile_ns(0.999));
    j["max"] = us(latency.max_ns);
    j["samples"] = latency.total;
    return j;
}

Reporter::Reporter(const Options& options, RunState& state, const ProducerStatsList& producers,
                   const ConsumerStatsList& consumers)
    : options_(options),
      state_(state),
      producers_(producers),
      consumers_(consumers),
      out_(progress_stream(options)) {}

bool Reporter::all_done() const {
    return std::all_of(producers_.begin(), producers_.end(),
                       [](const ProducerStats& p) { return p.done.load(); }) &&
           std::all_of(consumers_.begin(), consumers_.end(),
                       [](const ConsumerStats& c) { return c.done.load(); });
}

void Reporter::run(const std::string& label) {
    constexpr int64_t kSliceNs = 100 * kNsPerMs;
    Totals before = Totals::collect(producers_, consumers_);
    CpuTime cpu_before = CpuTime::now();
    int64_t tick_start = state_.start_ns();
    int64_t next_tick = tick_start + kNsPerSec;
    uint64_t last_progress = before.progress();
    int64_t last_progress_ns = tick_start;
    int64_t stall_ns = seconds_to_ns(options_.stall_timeout_s);

    while (!all_done()) {
        state_.wait_until(std::min(next_tick, now_ns() + kSliceNs));
        if (interrupted() && !state_.should_stop()) state_.request_stop();
        int64_t now = now_ns();
        if (now < next_tick) continue;

        Totals current = Totals::collect(producers_, consumers_);
        CpuTime cpu = CpuTime::now();
        print_line(current, before, static_cast<double>(now - tick_start) / 1e9,
                   (cpu - cpu_before).total_s(), label);
        if (current.progress() != last_progress) {
            last_progress = current.progress();
            last_progress_ns = now;
        } else if (state_.deadline_ns() == 0 && stall_ns > 0 && now - last_progress_ns > stall_ns) {
            state_.fail("no progress for " + format_rate(options_.stall_timeout_s) +
                        " s (broker stalled? see --stall-timeout)");
        }
        before = std::move(current);
        cpu_before = cpu;
        tick_start = now;
        next_tick = now + kNsPerSec;
    }
    end_ns_ = now_ns();
}

void Reporter::print_line(const Totals& now, const Totals& before, double interval_s, double cpu_s,
                          const std::string& label) {
    auto per_s = [&](uint64_t a, uint64_t b) {
        return format_rate(static_cast<double>(a - b) / interval_s);
    };
    double elapsed = static_cast<double>(now_ns() - state_.start_ns()) / 1e9;
    std::string line = label.empty() ? "" : label + " ";
    char head[48];
    snprintf(head, sizeof head, "time: %.1fs", elapsed);
    line += head;
    if (!producers_.empty()) line += ", sent: " + per_s(now.sent, before.sent) + " msg/s";
    if (!consumers_.empty()) {
        line += ", received: " + per_s(now.received, before.received) + " msg/s";
    }
    if (options_.max_outstanding_confirms > 0 || options_.mode == Mode::Fill) {
        line += ", confirmed: " + per_s(now.confirmed, before.confirmed) + " msg/s";
    }
    if (now.nacked != before.nacked) line += ", nacked: " + per_s(now.nacked, before.nacked);
    if (now.returned != before.returned) {
        line += ", returned: " + per_s(now.returned, before.returned);
    }
    LatencySnapshot interval = now.latency;
    interval.subtract(before.latency);
    if (interval.total > 0) {
        line += ", latency p50/p99: " + format_us(interval.percentile_ns(0.5)) + "/" +
                format_us(interval.percentile_ns(0.99)) + " µs";
    }
    line += ", cpu: " + format_rate(100.0 * cpu_s / interval_s) + "%";
    fprintf(out_, "%s\n", line.c_str());
    fflush(out_);
}

}  // namespace warren::perf
