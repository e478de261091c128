#pragma once

#include "warren-perf/client.h"
#include "warren-perf/options.h"

#include <string>
#include <vector>

namespace warren::perf {

/// The exchange, queues and bindings of one run, declared over a setup connection before
/// the workers start and removed after them (queues only with --auto-delete true, the
/// default; an exchange only when nothing else is bound to it).
class Topology {
public:
    explicit Topology(const Options& options);

    /// False with error() set when the broker refuses something.
    bool declare();
    /// Best effort; problems are returned as warnings, one per line.
    std::string remove();

    const std::vector<std::string>& queues() const { return queues_; }
    const std::string& queue_for(int worker) const;
    /// The routing key a producer publishes with when it is assigned `queue`.
    std::string routing_key_for(const std::string& queue) const;
    const std::string& error() const { return client_.error(); }

private:
    bool declares_exchange() const;
    uint16_t next_channel();

    const Options& options_;
    std::vector<std::string> queues_;
    std::vector<std::string> declared_;  // only these are ours to delete
    bool exchange_declared_ = false;
    Client client_{size_t{1} << 20};
    uint16_t channel_ = 0;
};

}  // namespace warren::perf
