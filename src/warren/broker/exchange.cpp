#include "warren/broker/exchange.h"

#include "warren/broker/delayed_messages.h"
#include "warren/broker/direct_matcher.h"
#include "warren/broker/fanout_matcher.h"
#include "warren/broker/headers_matcher.h"
#include "warren/broker/policy.h"
#include "warren/broker/topic_matcher.h"

#include <algorithm>

namespace warren::broker {

Exchange::Exchange(std::string vhost, ExchangeSpec spec, std::unique_ptr<Matcher> matcher)
    : vhost_(std::move(vhost)), spec_(std::move(spec)), matcher_(std::move(matcher)),
      routing_type_(routing_type_of(spec_)) {
    apply_policy(nullptr);
}

void Exchange::apply_policy(const Policy* policy) {
    policy_ = policy ? policy->name : std::string();
    const amqp::FieldValue* ae = spec_.arguments.find("alternate-exchange");
    if (!ae || !ae->string()) ae = policy ? policy->definition.definition.find("alternate-exchange")
                                          : nullptr;
    has_alternate_exchange_ = ae && ae->string();
    alternate_exchange_ = has_alternate_exchange_ ? *ae->string() : std::string();
}

Exchange::~Exchange() = default;

void Exchange::set_delayed(std::unique_ptr<DelayedMessages> delayed) {
    delayed_ = std::move(delayed);
}

static bool same_binding(const Binding& a, const Binding& b) {
    return a.destination == b.destination && a.routing_key == b.routing_key &&
           a.arguments == b.arguments;
}

bool Exchange::bind(Binding binding) {
    for (const auto& b : bindings_)
        if (same_binding(b, binding)) return false;
    matcher_->add(binding);
    bindings_.push_back(std::move(binding));
    return true;
}

bool Exchange::unbind(const Binding& binding) {
    auto it = std::find_if(bindings_.begin(), bindings_.end(),
                           [&](const Binding& b) { return same_binding(b, binding); });
    if (it == bindings_.end()) return false;
    matcher_->remove(*it);
    bindings_.erase(it);
    return true;
}

size_t Exchange::unbind_all(Destination destination) {
    size_t removed = 0;
    for (auto it = bindings_.begin(); it != bindings_.end();) {
        if (it->destination == destination) {
            matcher_->remove(*it);
            it = bindings_.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

std::unique_ptr<Matcher> make_matcher(std::string_view type) {
    if (type == "direct") return std::make_unique<DirectMatcher>();
    if (type == "fanout") return std::make_unique<FanoutMatcher>();
    if (type == "topic") return std::make_unique<TopicMatcher>();
    if (type == "headers") return std::make_unique<HeadersMatcher>();
    return nullptr;
}

bool is_exchange_type(std::string_view type) {
    return type == kDelayedExchangeType || make_matcher(type) != nullptr;
}

std::string routing_type_of(const ExchangeSpec& spec) {
    if (spec.type != kDelayedExchangeType) return spec.type;
    const amqp::FieldValue* v = spec.arguments.find(kDelayedTypeArgument);
    const std::string* type = v ? v->string() : nullptr;
    return type ? *type : std::string();
}

std::unique_ptr<Matcher> make_exchange_matcher(const ExchangeSpec& spec) {
    std::string type = routing_type_of(spec);
    if (type == kDelayedExchangeType) return nullptr;
    return make_matcher(type);
}

}  // namespace warren::broker
