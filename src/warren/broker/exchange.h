#pragma once

#include "warren/amqp/codec.h"
#include "warren/amqp/field_table.h"
#include "warren/broker/queue_spec.h"
#include "warren/util/ref.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace warren::broker {

class Queue;
class Exchange;
class DelayedMessages;
struct Policy;

/// Where a binding leads: a queue or, for exchange-to-exchange bindings, an exchange.
struct Destination {
    Queue* queue = nullptr;
    Exchange* exchange = nullptr;
    friend bool operator==(const Destination&, const Destination&) = default;
};

struct Binding {
    Destination destination;
    std::string routing_key;
    amqp::FieldTable arguments;
};

/// What routing looks at: the routing key, and the headers table for headers exchanges.
struct RoutingInput {
    std::string_view routing_key;
    amqp::RawTable headers;  // encoded, decoded only by exchanges that need it
};

/// The matching strategy of one exchange type, indexing bindings for fast routing.
class Matcher {
public:
    virtual ~Matcher() = default;
    virtual void add(const Binding& binding) = 0;
    /// Removes a binding that was added (Exchange checks it exists first).
    virtual void remove(const Binding& binding) = 0;
    virtual void match(const RoutingInput& input, std::vector<Destination>& out) const = 0;
};

/// An exchange: its declared properties, its bindings, and a type-specific matcher.
class Exchange : public util::RefCounted {
public:
    Exchange(std::string vhost, ExchangeSpec spec, std::unique_ptr<Matcher> matcher);
    ~Exchange() override;

    const std::string& name() const { return spec_.name; }
    const std::string& type() const { return spec_.type; }
    /// The type whose routing this exchange uses: its own, or an x-delayed-message
    /// exchange's x-delayed-type.
    const std::string& routing_type() const { return routing_type_; }
    const std::string& vhost() const { return vhost_; }
    const ExchangeSpec& spec() const { return spec_; }
    bool is_durable() const { return spec_.durable; }
    bool is_auto_delete() const { return spec_.auto_delete; }
    bool is_internal() const { return spec_.internal; }

    /// Adds a binding; false if an identical one exists (binding is idempotent).
    bool bind(Binding binding);
    /// Removes an identical binding; false if none.
    bool unbind(const Binding& binding);
    /// Removes every binding to `destination`; returns how many.
    size_t unbind_all(Destination destination);
    const std::vector<Binding>& bindings() const { return bindings_; }

    /// Appends matching destinations (possibly with duplicates) to `out`.
    void route(const RoutingInput& input, std::vector<Destination>& out) const {
        matcher_->match(input, out);
    }

    /// Where messages this exchange routes nowhere go: the alternate-exchange argument,
    /// else the policy's key (rabbit_policy:get_arg/3); null if neither.
    const std::string* alternate_exchange() const {
        return has_alternate_exchange_ ? &alternate_exchange_ : nullptr;
    }
    /// The policy in force ("" if none), for list_exchanges.
    const std::string& policy() const { return policy_; }
    /// Applies `policy` (null: none) over the exchange's arguments.
    void apply_policy(const Policy* policy);

    /// The messages an x-delayed-message exchange holds back; null for other types.
    DelayedMessages* delayed() const { return delayed_.get(); }
    void set_delayed(std::unique_ptr<DelayedMessages> delayed);

    /// Exchanges bound to this one (this is their destination), for cleanup on delete.
    std::vector<Exchange*>& inbound_sources() { return inbound_sources_; }

private:
    std::string vhost_;
    ExchangeSpec spec_;
    std::unique_ptr<Matcher> matcher_;
    std::vector<Binding> bindings_;
    std::vector<Exchange*> inbound_sources_;
    std::string routing_type_;
    std::string policy_;
    std::string alternate_exchange_;
    bool has_alternate_exchange_ = false;
    std::unique_ptr<DelayedMessages> delayed_;  // last: its messages go before the bindings
};

using ExchangeRef = util::Ref<Exchange>;

/// The matcher for a type name ("direct", "fanout", "topic", "headers"), or null.
std::unique_ptr<Matcher> make_matcher(std::string_view type);
/// Whether exchange.declare accepts `type`: the four built-in types and x-delayed-message.
bool is_exchange_type(std::string_view type);
/// The type whose routing an exchange of `spec` uses (see Exchange::routing_type()).
std::string routing_type_of(const ExchangeSpec& spec);
/// The matcher for an exchange of `spec`, x-delayed-message included; null if unknown.
std::unique_ptr<Matcher> make_exchange_matcher(const ExchangeSpec& spec);

}  // namespace warren::broker
