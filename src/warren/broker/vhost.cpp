#include "warren/broker/vhost.h"

#include "warren/amqp/frame.h"
#include "warren/amqp/methods.h"
#include "warren/broker/dead_letter.h"
#include "warren/broker/delayed_messages.h"
#include "warren/broker/errors.h"
#include "warren/broker/message_pager.h"
#include "warren/util/random_name.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace warren::broker {
namespace {

std::string_view bool_text(bool b) { return b ? "'true'" : "'false'"; }

std::string value_text(const amqp::FieldValue& v) {
    int64_t i = 0;
    if (v.as_int(i)) return std::to_string(i);
    if (const auto* s = v.string()) return *s;
    if (const auto* b = v.get_if<bool>()) return *b ? "true" : "false";
    if (const auto* d = v.get_if<double>()) return std::to_string(*d);
    return "?";
}


// A classic queue's x-queue-type may be "classic" or absent, either way round.
bool is_classic_or_absent(const amqp::FieldValue* v) {
    const std::string* s = v ? v->string() : nullptr;
    return !v || (s && *s == "classic");
}

// RabbitMQ's type classes: integers compare with integers, floats with floats.
bool same_arg(const amqp::FieldValue& a, const amqp::FieldValue& b) {
    int64_t x = 0, y = 0;
    if (a.as_int(x) && b.as_int(y)) return x == y;
    return a == b;
}

}  // namespace

namespace {

std::string describe_arg(const amqp::FieldValue* v, bool with_type) {
    if (!v) return "none";
    if (!with_type) return "'" + value_text(*v) + "'";
    return "the value '" + value_text(*v) + "' of type '" + std::string(amqp_type_name(*v)) + "'";
}

}  // namespace

Vhost::Vhost(net::EventLoop& loop, std::string name, store::MessageLog* log,
             std::function<void()> on_change, MessagePager* pager)
    : loop_(loop), name_(std::move(name)), log_(log), pager_(pager),
      on_change_(std::move(on_change)) {
    // The node name warrenctl shows (admin/protocol.cpp): "warren@" and the short host name.
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') {
        std::string h(host);
        if (auto dot = h.find('.'); dot != std::string::npos) h.resize(dot);
        node_ = "warren@" + h;
    }
    add_builtin_exchanges();
}

void Vhost::restore_queue(const QueueSpec& spec) {
    if (find_queue(spec.name)) return;
    QueueRef q = QueueRef::make(loop_, name_, spec, OwnerId::None, log_, pager_, host());
    apply_policies(*q, true);
    queues_.emplace(spec.name, q);
}

void Vhost::restore_exchange(const ExchangeSpec& spec) {
    if (find_exchange(spec.name) || !make_exchange_matcher(spec)) return;
    exchanges_.emplace(spec.name, make_exchange(spec));
}

void Vhost::set_policy(Policy policy, PolicyKind kind) {
    (kind == PolicyKind::Policy ? policies_ : operator_policies_).put(std::move(policy));
    reapply_policies();
    changed();
}

bool Vhost::clear_policy(std::string_view name, PolicyKind kind) {
    if (!(kind == PolicyKind::Policy ? policies_ : operator_policies_).erase(name)) return false;
    reapply_policies();
    changed();
    return true;
}

void Vhost::apply_policies(Queue& queue, bool declared) {
    const Policy* policy = policies_.match_queue(queue.name());
    const Policy* op = operator_policies_.match_queue(queue.name());
    QueueSettings s = effective(queue.spec().arguments, policy ? &policy->definition : nullptr,
                                op ? &op->definition : nullptr);
    // A queue is a priority queue from birth or never (its message order depends on it).
    if (!declared)
        s.max_priority = queue.settings().max_priority;
    else if (s.max_priority == 0 && policy)
        s.max_priority = policy_max_priority(policy->definition);
    queue.set_policy(policy ? policy->name : std::string());
    queue.apply_settings(s);
}

void Vhost::apply_policies(Exchange& exchange) {
    exchange.apply_policy(policies_.match_exchange(exchange.name()));
}

void Vhost::reapply_policies() {
    // Applying may drop or dead-letter messages (a lower max-length), and dead letters may
    // not delete queues here, so collect first.
    std::vector<QueueRef> queues;
    queues.reserve(queues_.size());
    for (auto& [n, q] : queues_) queues.push_back(q);
    ++busy_;
    for (const QueueRef& q : queues)
        if (!q->is_deleted()) apply_policies(*q, false);
    for (auto& [n, x] : exchanges_) apply_policies(*x);
    --busy_;
    if (busy_ == 0 && !dead_letters_.empty()) drain_dead_letters();
}

ExchangeRef Vhost::make_exchange(const ExchangeSpec& spec) {
    ExchangeRef ex = ExchangeRef::make(name_, spec, make_exchange_matcher(spec));
    apply_policies(*ex);
    if (spec.type == kDelayedExchangeType)
        ex->set_delayed(std::make_unique<DelayedMessages>(
            loop_, *this, *ex, spec.durable, log_, pager_ ? &pager_->page_file() : nullptr));
    return ex;
}

Vhost::~Vhost() {
    for (auto& [n, q] : queues_) q->mark_deleted();
}

void Vhost::add_builtin_exchanges() {
    struct Builtin {
        const char* name;
        const char* type;
        bool internal;
    };
    static constexpr Builtin kBuiltins[] = {
        {"", "direct", false},           {"amq.direct", "direct", false},
        {"amq.fanout", "fanout", false}, {"amq.topic", "topic", false},
        {"amq.headers", "headers", false}, {"amq.match", "headers", false},
        {"amq.rabbitmq.trace", "topic", true},
    };
    for (const auto& b : kBuiltins) {
        ExchangeSpec spec{b.name, b.type, true, false, b.internal, {}};
        exchanges_.emplace(b.name, ExchangeRef::make(name_, spec, make_matcher(b.type)));
    }
}

Exchange* Vhost::find_exchange(std::string_view name) const {
    auto it = exchanges_.find(std::string(name));
    return it == exchanges_.end() ? nullptr : it->second.get();
}

Queue* Vhost::find_queue(std::string_view name) const {
    auto it = queues_.find(std::string(name));
    return it == queues_.end() ? nullptr : it->second.get();
}

amqp::Result<ExchangeRef> Vhost::declare_exchange(const ExchangeSpec& spec, bool passive) {
    if (Exchange* existing = find_exchange(spec.name)) {
        if (passive) return ExchangeRef(existing);
        const ExchangeSpec& cur = existing->spec();
        auto fail = [&](std::string_view arg, std::string received, std::string current) {
            return errors::inequivalent_arg(arg, "exchange", spec.name, name_, received, current);
        };
        if (cur.type != spec.type)
            return fail("type", "'" + spec.type + "'", "'" + cur.type + "'");
        if (cur.durable != spec.durable)
            return fail("durable", std::string(bool_text(spec.durable)),
                        std::string(bool_text(cur.durable)));
        if (cur.auto_delete != spec.auto_delete)
            return fail("auto_delete", std::string(bool_text(spec.auto_delete)),
                        std::string(bool_text(cur.auto_delete)));
        if (cur.internal != spec.internal)
            return fail("internal", std::string(bool_text(spec.internal)),
                        std::string(bool_text(cur.internal)));
        // The one exchange argument RabbitMQ compares (rabbit_exchange:assert_args_equivalence).
        const amqp::FieldValue* a = spec.arguments.find("alternate-exchange");
        const amqp::FieldValue* b = cur.arguments.find("alternate-exchange");
        if ((a || b) && !(a && b && same_arg(*a, *b))) {
            bool typed = !a || !b;
            return fail("alternate-exchange", describe_arg(a, typed), describe_arg(b, typed));
        }
        return ExchangeRef(existing);
    }
    if (passive) return errors::no_exchange(spec.name, name_);
    if (spec.type == kDelayedExchangeType) {
        // The plugin's validate/1, run for new exchanges only.
        const amqp::FieldValue* type = spec.arguments.find(kDelayedTypeArgument);
        if (!type || !type->string()) return errors::delayed_type_required();
        if (*type->string() == kDelayedExchangeType) return errors::delayed_type_recursive();
        if (!make_matcher(*type->string())) return errors::unknown_exchange_type(*type->string());
    } else if (!make_matcher(spec.type)) {
        return errors::unknown_exchange_type(spec.type);
    }
    ExchangeRef ex = make_exchange(spec);
    exchanges_.emplace(spec.name, ex);
    if (spec.durable) changed();
    return ex;
}

void Vhost::detach_exchange(Exchange& exchange) {
    // Bindings from this exchange.
    for (const Binding& b : exchange.bindings()) {
        if (b.destination.queue) {
            auto& in = b.destination.queue->inbound_bindings();
            in.erase(std::remove_if(in.begin(), in.end(),
                                    [&](const InboundBinding& ib) { return ib.source == &exchange; }),
                     in.end());
        } else if (b.destination.exchange) {
            auto& src = b.destination.exchange->inbound_sources();
            src.erase(std::remove(src.begin(), src.end(), &exchange), src.end());
        }
    }
    // Bindings to this exchange. References keep each source alive while an earlier one's
    // auto-delete cascades through the rest.
    std::vector<ExchangeRef> sources(exchange.inbound_sources().begin(),
                                     exchange.inbound_sources().end());
    for (const ExchangeRef& source : sources) source->unbind_all(Destination{nullptr, &exchange});
    exchange.inbound_sources().clear();
    for (const ExchangeRef& source : sources) maybe_auto_delete(source.get());
}

amqp::Result<> Vhost::delete_exchange(std::string_view name, bool if_unused) {
    Exchange* ex = find_exchange(name);
    if (!ex) return errors::no_exchange(name, name_);
    if (if_unused && !ex->bindings().empty()) return errors::exchange_in_use(name, name_);
    ExchangeRef keep(ex);
    detach_exchange(*ex);
    exchanges_.erase(std::string(name));
    if (ex->is_durable()) changed();
    return {};
}

void Vhost::maybe_auto_delete(Exchange* exchange) {
    if (!exchange || !exchange->is_auto_delete() || !exchange->bindings().empty()) return;
    if (find_exchange(exchange->name()) != exchange) return;  // already deleted by a cascade
    ExchangeRef keep(exchange);
    detach_exchange(*exchange);
    exchanges_.erase(exchange->name());
    if (exchange->is_durable()) changed();
}

amqp::Result<QueueRef> Vhost::use_queue(std::string_view name, OwnerId owner) const {
    Queue* q = find_queue(name);
    if (!q) return errors::no_queue(name, name_);
    if (q->is_exclusive() && q->owner() != owner) return errors::queue_locked(name, name_);
    return QueueRef(q);
}

amqp::Result<QueueRef> Vhost::declare_queue(const QueueSpec& spec, bool passive, OwnerId owner) {
    if (Queue* existing = find_queue(spec.name)) {
        if (existing->is_exclusive() && existing->owner() != owner)
            return errors::queue_locked(spec.name, name_);
        existing->touch();  // a declare renews x-expires' lease
        if (passive) return QueueRef(existing);
        const QueueSpec& cur = existing->spec();
        auto fail = [&](std::string_view arg, bool received, bool current) {
            return errors::inequivalent_arg(arg, "queue", spec.name, name_, bool_text(received),
                                            bool_text(current));
        };
        if (cur.durable != spec.durable) return fail("durable", spec.durable, cur.durable);
        if (cur.exclusive != spec.exclusive)
            return errors::queue_locked(spec.name, name_);
        if (cur.auto_delete != spec.auto_delete)
            return fail("auto_delete", spec.auto_delete, cur.auto_delete);
        for (std::string_view key : queue_type_arguments(existing->settings().type)) {
            const amqp::FieldValue* a = spec.arguments.find(key);
            const amqp::FieldValue* b = cur.arguments.find(key);
            if (!a && !b) continue;
            if (a && b && same_arg(*a, *b)) continue;
            if (key == "x-queue-type" && is_classic_or_absent(a) && is_classic_or_absent(b))
                continue;
            bool typed = !a || !b;
            return errors::inequivalent_arg(key, "queue", spec.name, name_, describe_arg(a, typed),
                                            describe_arg(b, typed));
        }
        return QueueRef(existing);
    }
    if (passive) return errors::no_queue(spec.name, name_);
    if (auto valid = validate_queue_arguments(spec, name_, node_); !valid) return valid.error();
    // Exclusive queues never survive their connection, so never reach the log.
    bool stored = spec.durable && !spec.exclusive;
    QueueRef q = QueueRef::make(loop_, name_, spec, spec.exclusive ? owner : OwnerId::None,
                                stored ? log_ : nullptr, pager_, host());
    apply_policies(*q, true);
    queues_.emplace(spec.name, q);
    if (stored) changed();
    // Every queue is bound to the default exchange under its own name (AMQP 0-9-1 §3.1.3.1);
    // the default exchange routes by name lookup instead of holding those bindings.
    return q;
}

void Vhost::remove_queue(Queue& queue) {
    QueueRef keep(&queue);
    auto inbound = std::move(queue.inbound_bindings());
    queue.inbound_bindings().clear();
    std::vector<ExchangeRef> sources;
    for (const auto& ib : inbound) {
        ib.source->unbind(Binding{Destination{&queue, nullptr}, ib.routing_key, ib.arguments});
        if (std::find(sources.begin(), sources.end(), ExchangeRef(ib.source)) == sources.end())
            sources.push_back(ExchangeRef(ib.source));
    }
    queues_.erase(queue.name());
    queue.mark_deleted();
    if (queue.is_stored()) changed();
    for (const ExchangeRef& s : sources) maybe_auto_delete(s.get());
}

amqp::Result<size_t> Vhost::delete_queue(std::string_view name, OwnerId owner, bool if_unused,
                                         bool if_empty) {
    auto q = use_queue(name, owner);
    if (!q) return q.error();
    if (if_unused && (*q)->has_consumers()) return errors::queue_in_use(name, name_);
    if (if_empty && (*q)->ready_count() > 0) return errors::queue_not_empty(name, name_);
    size_t count = (*q)->ready_count();
    remove_queue(**q);
    return count;
}

amqp::Result<> Vhost::bind_queue(std::string_view queue, std::string_view exchange,
                                 std::string_view routing_key, const amqp::FieldTable& args,
                                 OwnerId owner) {
    if (exchange.empty()) return errors::default_exchange_op();
    Exchange* ex = find_exchange(exchange);
    if (!ex) return errors::no_exchange(exchange, name_);
    auto q = use_queue(queue, owner);
    if (!q) return q.error();
    if (ex->routing_type() == "headers") {
        if (auto invalid = validate_headers_binding(args); !invalid) return invalid.error();
    }
    Binding b{Destination{q->get(), nullptr}, std::string(routing_key), args};
    if (ex->bind(b)) {
        (*q)->inbound_bindings().push_back(InboundBinding{ex, std::string(routing_key), args});
        if ((*q)->is_stored() && ex->is_durable()) changed();
    }
    return {};
}

amqp::Result<> Vhost::unbind_queue(std::string_view queue, std::string_view exchange,
                                   std::string_view routing_key, const amqp::FieldTable& args,
                                   OwnerId owner) {
    // Unbinding what does not exist succeeds, even with a missing queue or exchange.
    if (exchange.empty()) return errors::default_exchange_op();
    Queue* found = find_queue(queue);
    Exchange* ex = find_exchange(exchange);
    if (!found || !ex) return {};
    // RabbitMQ looks for the binding before checking exclusivity: removing a binding that
    // does not exist succeeds even on another connection's exclusive queue.
    Binding wanted{Destination{found, nullptr}, std::string(routing_key), args};
    bool exists = std::any_of(ex->bindings().begin(), ex->bindings().end(), [&](const Binding& b) {
        return b.destination == wanted.destination && b.routing_key == wanted.routing_key &&
               b.arguments == wanted.arguments;
    });
    if (!exists) return {};
    auto q = use_queue(queue, owner);
    if (!q) return q.error();
    if (ex->unbind(Binding{Destination{q->get(), nullptr}, std::string(routing_key), args})) {
        auto& in = (*q)->inbound_bindings();
        auto it = std::find_if(in.begin(), in.end(), [&](const InboundBinding& ib) {
            return ib.source == ex && ib.routing_key == routing_key && ib.arguments == args;
        });
        if (it != in.end()) in.erase(it);
        if ((*q)->is_stored() && ex->is_durable()) changed();
        maybe_auto_delete(ex);
    }
    return {};
}

amqp::Result<> Vhost::bind_exchange(std::string_view destination, std::string_view source,
                                    std::string_view routing_key, const amqp::FieldTable& args) {
    if (destination.empty() || source.empty()) return errors::default_exchange_op();
    Exchange* dst = find_exchange(destination);
    if (!dst) return errors::no_exchange(destination, name_);
    Exchange* src = find_exchange(source);
    if (!src) return errors::no_exchange(source, name_);
    if (src->routing_type() == "headers") {
        if (auto invalid = validate_headers_binding(args); !invalid) return invalid.error();
    }
    if (src->bind(Binding{Destination{nullptr, dst}, std::string(routing_key), args})) {
        dst->inbound_sources().push_back(src);
        if (src->is_durable() && dst->is_durable()) changed();
    }
    return {};
}

amqp::Result<> Vhost::unbind_exchange(std::string_view destination, std::string_view source,
                                      std::string_view routing_key, const amqp::FieldTable& args) {
    if (destination.empty() || source.empty()) return errors::default_exchange_op();
    Exchange* dst = find_exchange(destination);
    if (!dst) return errors::no_exchange(destination, name_);
    Exchange* src = find_exchange(source);
    if (!src) return errors::no_exchange(source, name_);
    if (src->unbind(Binding{Destination{nullptr, dst}, std::string(routing_key), args})) {
        auto& in = dst->inbound_sources();
        auto it = std::find(in.begin(), in.end(), src);
        if (it != in.end()) in.erase(it);
        if (src->is_durable() && dst->is_durable()) changed();
        maybe_auto_delete(src);
    }
    return {};
}

void Vhost::route(const Exchange& exchange, const RoutingInput& input, std::vector<Queue*>& out) {
    std::string_view key = input.routing_key;
    route_keys(exchange, std::span<const std::string_view>(&key, 1), input.headers, out);
}

void Vhost::route(const Exchange& exchange, const Message& message, const amqp::RawTable& headers,
                  std::vector<Queue*>& out) {
    keys_.clear();
    keys_.push_back(message.routing_key());
    for (const std::string& key : message.extra_routing_keys()) keys_.push_back(key);
    route_keys(exchange, keys_, headers, out);
}

void Vhost::match(const Exchange& exchange, std::span<const std::string_view> keys,
                  const amqp::RawTable& headers, std::vector<Destination>& out) {
    if (exchange.name().empty()) {
        for (std::string_view key : keys)
            if (Queue* q = find_queue(key)) out.push_back(Destination{q, nullptr});
        return;
    }
    for (std::string_view key : keys) exchange.route(RoutingInput{key, headers}, out);
}

void Vhost::route_keys(const Exchange& exchange, std::span<const std::string_view> keys,
                       const amqp::RawTable& headers, std::vector<Queue*>& out) {
    scratch_.clear();
    match(exchange, keys, headers, scratch_);
    bool follow = scratch_.empty() && exchange.alternate_exchange();
    for (const Destination& d : scratch_) {
        if (d.queue) {
            if (std::find(out.begin(), out.end(), d.queue) == out.end()) out.push_back(d.queue);
        } else {
            follow = true;
        }
    }
    if (!follow) return;
    // Exchange-to-exchange bindings and alternate exchanges: each exchange once, so
    // cycles end; an alternate exchange that does not exist routes nowhere.
    visited_.clear();
    visited_.push_back(const_cast<Exchange*>(&exchange));
    pending_.clear();
    auto visit = [&](Exchange* ex) {
        if (!ex || std::find(visited_.begin(), visited_.end(), ex) != visited_.end()) return;
        visited_.push_back(ex);
        pending_.push_back(ex);
    };
    auto take = [&](const Exchange& from) {
        if (scratch_.empty()) {
            if (const std::string* ae = from.alternate_exchange()) visit(find_exchange(*ae));
            return;
        }
        for (const Destination& d : scratch_) {
            if (d.queue) {
                if (std::find(out.begin(), out.end(), d.queue) == out.end())
                    out.push_back(d.queue);
            } else {
                visit(d.exchange);
            }
        }
    };
    take(exchange);
    while (!pending_.empty()) {
        Exchange* ex = pending_.back();
        pending_.pop_back();
        scratch_.clear();
        match(*ex, keys, headers, scratch_);
        take(*ex);
    }
}

Vhost::PublishResult Vhost::publish(const Exchange& exchange, const MessageRef& message) {
    PublishResult result;
    ++busy_;
    amqp::BasicProperties props;
    amqp::Reader pr(message->properties());
    props.decode(pr);
    publish_targets_.clear();
    route(exchange, *message, props.headers, publish_targets_);
    result.routed = !publish_targets_.empty();
    result.refused = apply_refusals(message, publish_targets_);
    result.durable_at = store(message, publish_targets_);
    for (Queue* q : publish_targets_) q->enqueue(message);
    --busy_;
    if (busy_ == 0 && !dead_letters_.empty()) drain_dead_letters();
    return result;
}

bool Vhost::apply_refusals(const MessageRef& message, std::vector<Queue*>& targets) {
    bool refused = false;
    for (size_t i = 0; i < targets.size();) {
        Queue* q = targets[i];
        if (!q->refuses(*message)) {
            ++i;
            continue;
        }
        refused = true;
        if (q->settings().overflow == Overflow::RejectPublishDlx) q->dead_letter_refused(message);
        targets.erase(targets.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return refused;
}

uint64_t Vhost::store(const MessageRef& message, const std::vector<Queue*>& targets) {
    if (!log_) return 0;
    store_keys_.clear();
    // Persistent messages for every durable queue; quorum queues store all they take.
    bool persistent = message->is_persistent();
    for (Queue* q : targets)
        if (q->is_stored() && (persistent || q->is_quorum())) store_keys_.push_back(q->store_key());
    if (store_keys_.empty()) return 0;
    // Written once, with every durable queue it entered (fan-out shares the record).
    uint64_t id = log_->next_id();
    store::Location location =
        log_->append_publish(id, store_keys_, message->exchange(), message->routing_key(),
                             message->data().view(), message->properties_size());
    message->set_stored(id, location);
    return log_->position();
}

void Vhost::dead_letter(Queue& queue, QueuedMessage&& message, DeathReason reason, bool held) {
    const QueueSettings& s = queue.settings();
    dead_letters_.push_back(PendingDeadLetter{QueueRef(&queue), std::move(message), reason, held,
                                              s.dead_letter_exchange.value_or(std::string()),
                                              s.dead_letter_routing_key});
    if (busy_ == 0) drain_dead_letters();
}

void Vhost::drain_dead_letters() {
    ++busy_;
    std::vector<Queue*> targets;
    while (!dead_letters_.empty()) {
        PendingDeadLetter d = std::move(dead_letters_.front());
        dead_letters_.pop_front();
        // A missing dead-letter exchange drops the message, as RabbitMQ does.
        if (Exchange* ex = find_exchange(d.exchange)) {
            auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
            DeadLetter dl = make_dead_letter(*d.message.message, d.queue->name(), d.reason,
                                             d.exchange, d.routing_key,
                                             static_cast<uint64_t>(now_s));
            amqp::BasicProperties props;
            amqp::Reader pr(dl.message->properties());
            props.decode(pr);
            targets.clear();
            route(*ex, *dl.message, props.headers, targets);
            std::erase_if(targets, [&](Queue* q) { return dl.cycles_into(q->name()); });
            apply_refusals(dl.message, targets);
            store(dl.message, targets);
            for (Queue* q : targets) q->enqueue(dl.message);
        }
        // Only now is the original released from its queue's log share: the copy is
        // appended first, so a crash in between loses neither.
        if (d.held) d.queue->finish_dead_letter(d.message);
    }
    --busy_;
}

void Vhost::queue_expired(Queue& queue) {
    if (queue.is_deleted() || find_queue(queue.name()) != &queue) return;
    remove_queue(queue);
}

void Vhost::drop_owned_queues(OwnerId owner) {
    std::vector<Queue*> owned;
    for (auto& [n, q] : queues_)
        if (q->is_exclusive() && q->owner() == owner) owned.push_back(q.get());
    for (Queue* q : owned) remove_queue(*q);
}

amqp::Result<> Vhost::validate_headers_binding(const amqp::FieldTable& args) {
    const amqp::FieldValue* m = args.find("x-match");
    if (!m) return {};
    const std::string* s = m->string();
    if (s && (*s == "all" || *s == "any" || *s == "all-with-x" || *s == "any-with-x")) return {};
    std::string shown = s ? amqp::erlang_binary(*s) : std::string("?");
    return amqp::channel_error(
        amqp::ReplyCode::PreconditionFailed,
        "PRECONDITION_FAILED - Invalid x-match field value " + shown +
            "; expected all, any, all-with-x, or any-with-x");
}

std::string Vhost::generate_queue_name() { return util::random_name("amq.gen-"); }

}  // namespace warren::broker
