#pragma once

#include "warren-perf/latency_histogram.h"
#include "warren-perf/options.h"
#include "warren-perf/run_state.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

namespace warren::perf {

/// The tool's own CPU time (getrusage, all threads), in seconds.
struct CpuTime {
    double user_s = 0;
    double sys_s = 0;
    double total_s() const { return user_s + sys_s; }
    static CpuTime now();
    CpuTime operator-(const CpuTime& o) const { return {user_s - o.user_s, sys_s - o.sys_s}; }
};

/// Every worker's counters added up at one moment.
struct Totals {
    uint64_t sent = 0;
    uint64_t confirmed = 0;
    uint64_t nacked = 0;
    uint64_t returned = 0;
    uint64_t received = 0;
    uint64_t early = 0;
    int64_t last_send_ns = 0;
    int64_t last_confirm_ns = 0;
    int64_t last_receive_ns = 0;
    int64_t blocked_ns = 0;
    LatencySnapshot latency;

    static Totals collect(const ProducerStatsList& producers, const ConsumerStatsList& consumers);
    uint64_t progress() const { return sent + confirmed + nacked + returned + received; }
};

/// Where progress lines go: stdout, or stderr when stdout carries the JSON summary.
FILE* progress_stream(const Options& options);

/// Prints one line a second (rates over the last second, latency p50/p99, CPU) until every
/// worker is done or the run stops; stops the run on SIGINT, and fails it when nothing moves
/// for --stall-timeout in a run without -z.
class Reporter {
public:
    Reporter(const Options& options, RunState& state, const ProducerStatsList& producers,
             const ConsumerStatsList& consumers);

    /// Returns when all workers are done; `label` prefixes each line ("fill", "drain").
    void run(const std::string& label = "");
    /// When run() saw the last worker finish.
    int64_t end_ns() const { return end_ns_; }

private:
    bool all_done() const;
    void print_line(const Totals& now, const Totals& before, double interval_s, double cpu_s,
                    const std::string& label);

    const Options& options_;
    RunState& state_;
    const ProducerStatsList& producers_;
    const ConsumerStatsList& consumers_;
    FILE* out_;
    int64_t end_ns_ = 0;
};

/// Set by the SIGINT handler; the reporter turns it into a stop.
bool interrupted();
void install_interrupt_handler();

/// µs with two decimals, or null when there were no samples.
nlohmann::ordered_json latency_json(const LatencySnapshot& latency);
std::string format_rate(double per_s);
/// `v` rounded to `decimals` places, so JSON carries no float noise.
double round_to(double v, int decimals);
/// client_cpu_s (user + sys), client_cpu_user_s, client_cpu_sys_s.
void add_cpu_json(nlohmann::ordered_json& j, const CpuTime& cpu);
double rate(uint64_t count, int64_t from_ns, int64_t to_ns);

}  // namespace warren::perf
