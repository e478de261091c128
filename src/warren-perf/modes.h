#pragma once

#include "warren-perf/options.h"

namespace warren::perf {

/// Each returns the process exit code: 0, or 1 after a connection or protocol error (printed
/// with the broker's reply code and text on stderr).

/// -x producers and -y consumers over the queues, bounded by -z or -C/-D.
int run_load(const Options& options);
/// --fill N: publish N with confirms, then time draining them with the consumers.
int run_fill(const Options& options);
/// --idle-connections K: open K connections x M channels and Q queues, hold them for -z.
int run_idle(const Options& options);
/// --churn: connect, declare, publish one, close, in a loop; reports connections/s.
int run_churn(const Options& options);

}  // namespace warren::perf
