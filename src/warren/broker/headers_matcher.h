#pragma once

#include "warren/amqp/field_table.h"
#include "warren/broker/exchange.h"

#include <vector>

namespace warren::broker {

/// Routes on message headers against each binding's arguments, with RabbitMQ's x-match
/// modes: all (default), any, all-with-x, any-with-x. A void-typed binding value only
/// asks for the header's presence.
class HeadersMatcher : public Matcher {
public:
    void add(const Binding& binding) override;
    void remove(const Binding& binding) override;
    void match(const RoutingInput& input, std::vector<Destination>& out) const override;

    /// Whether `headers` match binding `arguments` (exposed for unit tests).
    static bool matches(const amqp::FieldTable& arguments, const amqp::FieldTable& headers);

private:
    struct Entry {
        Destination destination;
        amqp::FieldTable arguments;
    };
    std::vector<Entry> entries_;
};

}  // namespace warren::broker
