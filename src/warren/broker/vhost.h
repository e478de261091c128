#pragma once

#include "warren/amqp/error.h"
#include "warren/broker/exchange.h"
#include "warren/broker/policy.h"
#include "warren/broker/policy_validation.h"
#include "warren/broker/queue.h"
#include "warren/broker/queue_spec.h"
#include "warren/net/event_loop.h"

#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace warren::broker {

/// One virtual host: its exchanges, queues and bindings, and routing between them.
/// Owned by the Broker, on the loop thread. Knows nothing of channels or frames: the
/// connection layer, admin commands and definitions import all come through here.
class Vhost : private QueueHost {
public:
    /// What a publish came to, for basic.return and publisher confirms.
    struct PublishResult {
        bool routed = false;      // some queue matched (no basic.return)
        bool refused = false;     // a queue at its limit refused it (x-overflow reject-publish)
        uint64_t durable_at = 0;  // message log position that makes it durable; 0: none
    };

    /// `log` receives the persistent messages of durable queues; `pager` (may be null)
    /// keeps queued bodies within the memory budget; `on_change` is called whenever
    /// durable definitions (exchanges, queues, bindings) change.
    Vhost(net::EventLoop& loop, std::string name, store::MessageLog* log,
          std::function<void()> on_change, MessagePager* pager = nullptr);
    ~Vhost();

    const std::string& name() const { return name_; }

    amqp::Result<ExchangeRef> declare_exchange(const ExchangeSpec& spec, bool passive);
    amqp::Result<> delete_exchange(std::string_view name, bool if_unused);
    Exchange* find_exchange(std::string_view name) const;

    /// Declares (or checks, if passive) a queue for connection `owner`.
    amqp::Result<QueueRef> declare_queue(const QueueSpec& spec, bool passive, OwnerId owner);
    /// Looks a queue up for use by `owner`: NOT_FOUND if missing, RESOURCE_LOCKED if it is
    /// another connection's exclusive queue.
    amqp::Result<QueueRef> use_queue(std::string_view name, OwnerId owner) const;
    Queue* find_queue(std::string_view name) const;
    /// Deletes a queue; returns the number of ready messages it held.
    amqp::Result<size_t> delete_queue(std::string_view name, OwnerId owner, bool if_unused,
                                      bool if_empty);
    /// Removes a queue whose auto-delete condition or owner ended.
    void remove_queue(Queue& queue);

    amqp::Result<> bind_queue(std::string_view queue, std::string_view exchange,
                              std::string_view routing_key, const amqp::FieldTable& args,
                              OwnerId owner);
    amqp::Result<> unbind_queue(std::string_view queue, std::string_view exchange,
                                std::string_view routing_key, const amqp::FieldTable& args,
                                OwnerId owner);
    amqp::Result<> bind_exchange(std::string_view destination, std::string_view source,
                                 std::string_view routing_key, const amqp::FieldTable& args);
    amqp::Result<> unbind_exchange(std::string_view destination, std::string_view source,
                                   std::string_view routing_key, const amqp::FieldTable& args);

    /// Routes through `exchange` into `out`, each queue once: exchanges bound to it and the
    /// alternate exchange of every exchange that routes it nowhere are followed, each
    /// exchange once, so cycles end (rabbit_exchange:route/2).
    void route(const Exchange& exchange, const RoutingInput& input, std::vector<Queue*>& out);
    /// The same for a message: its routing key and its CC/BCC keys together (an exchange
    /// that matches any of them uses no alternate exchange).
    void route(const Exchange& exchange, const Message& message, const amqp::RawTable& headers,
               std::vector<Queue*>& out);
    /// Publishes `message` through `exchange` by its routing key and CC/BCC keys: routes,
    /// lets queues at their limit refuse it, appends it once to the message log if it is
    /// persistent and durable queues take it, and enqueues it. Dead letters this causes
    /// are published before it returns.
    PublishResult publish(const Exchange& exchange, const MessageRef& message);
    /// Names this broker node in texts that mention it (e.g. "warren@host").
    void set_node_name(std::string node) { node_ = std::move(node); }
    const std::string& node_name() const { return node_; }

    /// Adds or replaces a policy (or operator policy) and applies the vhost's policies again
    /// to every queue and exchange at once, as RabbitMQ does; new ones get them at declare.
    void set_policy(Policy policy, PolicyKind kind);
    /// Removes a policy and applies the rest again; false if there was none of that name.
    bool clear_policy(std::string_view name, PolicyKind kind);
    const PolicySet& policies(PolicyKind kind) const {
        return kind == PolicyKind::Policy ? policies_ : operator_policies_;
    }

    /// Deletes the exclusive queues of a closed connection.
    void drop_owned_queues(OwnerId owner);

    const std::unordered_map<std::string, QueueRef>& queues() const { return queues_; }
    const std::unordered_map<std::string, ExchangeRef>& exchanges() const { return exchanges_; }

    /// A fresh server-named queue name, "amq.gen-" and 22 url-safe base64 characters.
    static std::string generate_queue_name();
    /// x-match must be all, any, all-with-x or any-with-x (RabbitMQ's 406 otherwise).
    static amqp::Result<> validate_headers_binding(const amqp::FieldTable& args);

    /// Recreates a durable queue or exchange from stored definitions.
    void restore_queue(const QueueSpec& spec);
    void restore_exchange(const ExchangeSpec& spec);

private:
    struct PendingDeadLetter {
        QueueRef queue;
        QueuedMessage message;
        DeathReason reason;
        bool held;
        std::string exchange;
        std::optional<std::string> routing_key;
    };

    // QueueHost
    void dead_letter(Queue& queue, QueuedMessage&& message, DeathReason reason,
                     bool held) override;
    void queue_expired(Queue& queue) override;
    /// Publishes queued dead letters (and those they cause) one after another, never
    /// recursively.
    void drain_dead_letters();
    /// Drops queues at their limit that refuse `message` from `targets` (dead-lettering
    /// for reject-publish-dlx); true if any refused.
    bool apply_refusals(const MessageRef& message, std::vector<Queue*>& targets);
    /// Appends `message` to the log for the durable queues of `targets` (if persistent)
    /// and for quorum queues (always); returns the log position that makes it durable, 0
    /// if none holds it.
    uint64_t store(const MessageRef& message, const std::vector<Queue*>& targets);
    QueueHost* host() { return this; }
    /// Gives `queue` the settings its arguments and the matching policies make;
    /// `declared`: a new queue (policies may make it a priority queue only then).
    void apply_policies(Queue& queue, bool declared);
    void apply_policies(Exchange& exchange);
    void reapply_policies();
    /// The routing keys' destinations of one exchange (the default exchange: queues by name).
    void match(const Exchange& exchange, std::span<const std::string_view> keys,
               const amqp::RawTable& headers, std::vector<Destination>& out);
    void route_keys(const Exchange& exchange, std::span<const std::string_view> keys,
                    const amqp::RawTable& headers, std::vector<Queue*>& out);
    void add_builtin_exchanges();
    /// Makes an exchange of a validated spec (x-delayed-message ones hold messages).
    ExchangeRef make_exchange(const ExchangeSpec& spec);
    void changed() {
        if (on_change_) on_change_();
    }
    void detach_exchange(Exchange& exchange);
    void maybe_auto_delete(Exchange* exchange);

    net::EventLoop& loop_;
    std::string name_;
    store::MessageLog* log_;
    MessagePager* pager_;
    std::function<void()> on_change_;
    std::unordered_map<std::string, ExchangeRef> exchanges_;
    std::unordered_map<std::string, QueueRef> queues_;
    std::vector<Destination> scratch_;
    std::vector<Exchange*> visited_;
    std::vector<Exchange*> pending_;
    std::vector<std::string_view> keys_;
    PolicySet policies_;
    PolicySet operator_policies_;
    std::vector<Queue*> publish_targets_;
    std::vector<std::string_view> store_keys_;
    std::deque<PendingDeadLetter> dead_letters_;
    int busy_ = 0;  // publishing or draining: dead letters wait in dead_letters_
    std::string node_ = "warren@localhost";
};

}  // namespace warren::broker
