#include "warren-perf/topology.h"

namespace warren::perf {
namespace {

constexpr int64_t kConnectTimeoutNs = 30 * kNsPerSec;
constexpr int64_t kCloseTimeoutNs = 5 * kNsPerSec;

}  // namespace

Topology::Topology(const Options& options) : options_(options), queues_(options.queue_names()) {}

const std::string& Topology::queue_for(int worker) const {
    return queues_[static_cast<size_t>(worker) % queues_.size()];
}

std::string Topology::routing_key_for(const std::string& queue) const {
    return options_.routing_key.empty() ? queue : options_.routing_key;
}

bool Topology::declares_exchange() const {
    return !options_.exchange.empty() && !options_.exchange.starts_with("amq.");
}

uint16_t Topology::next_channel() {
    ++channel_;
    return client_.open_channel(channel_) ? channel_ : 0;
}

bool Topology::declare() {
    if (!client_.connect(options_.uri, "warren-perf setup", kConnectTimeoutNs)) return false;
    uint16_t ch = next_channel();
    if (ch == 0) return false;
    if (declares_exchange()) {
        amqp::ExchangeDeclare x;
        x.exchange = options_.exchange;
        x.type = options_.exchange_type;
        x.durable = options_.persistent;
        if (options_.exchange_type == "x-delayed-message")
            x.arguments.set("x-delayed-type", amqp::FieldValue(options_.delayed_type));
        amqp::ExchangeDeclareOk ok;
        if (!client_.call(ch, x, ok)) return false;
        exchange_declared_ = true;
    }
    for (const std::string& name : queues_) {
        amqp::QueueDeclare q;
        q.queue = name;
        q.durable = options_.persistent;
        q.auto_delete = options_.auto_delete;
        amqp::QueueDeclareOk ok;
        if (!client_.call(ch, q, ok)) return false;
        declared_.push_back(name);
        if (!options_.exchange.empty()) {
            // The method holds string_views: the key must outlive the call.
            std::string key = routing_key_for(name);
            amqp::QueueBind bind;
            bind.queue = name;
            bind.exchange = options_.exchange;
            bind.routing_key = key;
            amqp::QueueBindOk bound;
            if (!client_.call(ch, bind, bound)) return false;
        }
    }
    return true;
}

std::string Topology::remove() {
    std::string warnings;
    auto warn = [&](const std::string& what) {
        // RabbitMQ answers delete-ok for a queue that is already gone; a 404 means the same.
        if (client_.error().find(" 404 ") == std::string::npos) {
            warnings += what + ": " + client_.error() + "\n";
        }
        return client_.recover_from_channel_close() && next_channel() != 0;
    };
    if (!client_.is_open()) return warnings;
    if (client_.failed() && !(client_.recover_from_channel_close() && next_channel() != 0)) {
        return warnings;
    }
    uint16_t ch = channel_;
    if (options_.auto_delete) {
        for (const std::string& name : declared_) {
            amqp::QueueDelete del;
            del.queue = name;
            amqp::QueueDeleteOk ok;
            if (client_.call(ch, del, ok)) continue;
            if (!warn("cannot delete queue '" + name + "'")) return warnings;
            ch = channel_;
        }
        if (exchange_declared_) {
            amqp::ExchangeDelete del;
            del.exchange = options_.exchange;
            del.if_unused = true;  // another run may still be bound to it
            amqp::ExchangeDeleteOk ok;
            if (!client_.call(ch, del, ok) && !client_.recover_from_channel_close()) {
                warnings +=
                    "cannot delete exchange '" + options_.exchange + "': " + client_.error() + "\n";
            }
        }
    }
    client_.close(kCloseTimeoutNs);
    return warnings;
}

}  // namespace warren::perf
