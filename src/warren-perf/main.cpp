// warren-perf: wiring only. Parses the flags and runs the chosen mode.
#include "warren-perf/modes.h"
#include "warren-perf/options.h"
#include "warren-perf/reporter.h"

#include <signal.h>
#include <sys/resource.h>

#include <cstdio>

namespace {

/// --idle-connections and many workers need a descriptor each.
void raise_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace warren::perf;
    ParsedOptions parsed = parse_options(argc, argv);
    if (parsed.help) {
        fputs(usage().c_str(), stdout);
        return 0;
    }
    if (!parsed.options) {
        fprintf(stderr, "warren-perf: %s\n", parsed.error.c_str());
        return 2;
    }
    const Options& options = *parsed.options;
    signal(SIGPIPE, SIG_IGN);
    install_interrupt_handler();
    raise_file_limit();
    switch (options.mode) {
    case Mode::Load:
        return run_load(options);
    case Mode::Fill:
        return run_fill(options);
    case Mode::Idle:
        return run_idle(options);
    case Mode::Churn:
        return run_churn(options);
    }
    return 2;
}
