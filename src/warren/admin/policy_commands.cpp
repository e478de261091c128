// set_policy, clear_policy, list_policies and their operator-policy twins. A change is
// applied to the vhost's queues and exchanges at once and saved to definitions.json
// before the reply leaves. Texts and exit codes are rabbitmqctl 3.10's (docs/operations.md).
#include "warren/admin/handlers.h"
#include "warren/admin/protocol.h"
#include "warren/broker/broker.h"
#include "warren/broker/policy_validation.h"
#include "warren/util/log.h"

namespace warren::admin {
namespace {

using broker::PolicyKind;

json no_vhost(const std::string& vhost) {
    return bare_error_reply(kExitDataErr, "Virtual host '" + vhost + "' does not exist");
}

json set_any(CommandContext& ctx, const json& request, PolicyKind kind) {
    std::string vhost = vhost_arg(request);
    json definition = json::parse(arg(request, "definition"), nullptr, false);
    if (definition.is_discarded())
        return error_reply(kExitUnavailable, "JSON decoding error. Reason: badarg");
    int64_t priority = 0;
    if (auto it = request.find("priority"); it != request.end() && it->is_number_integer())
        priority = it->get<int64_t>();
    std::string apply_to = arg(request, "apply_to");
    broker::PolicyRequest req{arg(request, "name"), arg(request, "pattern"),
                              apply_to.empty() ? "all" : apply_to, priority, &definition};
    auto policy = broker::make_policy(req, kind);
    // rabbitmqctl prints the text and a blank line ("Validation failed\n\n...\n").
    if (!policy) return error_reply(kExitUnavailable, policy.error());
    broker::Vhost* vh = ctx.broker.find_vhost(vhost);
    if (!vh) return no_vhost(vhost);
    util::logger("admin").info("{} '{}' set on vhost '{}': pattern '{}', {}",
                               kind == PolicyKind::Policy ? "policy" : "operator policy",
                               req.name, vhost, req.pattern, policy->definition_json);
    vh->set_policy(std::move(*policy), kind);
    return ok_reply();
}

json clear_any(CommandContext& ctx, const json& request, PolicyKind kind) {
    broker::Vhost* vh = ctx.broker.find_vhost(vhost_arg(request));
    if (!vh || !vh->clear_policy(arg(request, "name"), kind))
        return error_reply(kExitUnavailable, "Parameter does not exist");
    return ok_reply();
}

json list_any(CommandContext& ctx, const json& request, PolicyKind kind) {
    std::string vhost = vhost_arg(request);
    broker::Vhost* vh = ctx.broker.find_vhost(vhost);
    if (!vh) return no_vhost(vhost);
    json rows = json::array();
    for (const broker::Policy& p : vh->policies(kind).all())
        rows.push_back(json::array({vhost, p.name, p.pattern,
                                    std::string(broker::apply_to_name(p.apply_to)),
                                    p.definition_json, p.priority}));
    json r = ok_reply();
    r["rows"] = std::move(rows);
    return r;
}

}  // namespace

json set_policy(CommandContext& ctx, const json& request) {
    return set_any(ctx, request, PolicyKind::Policy);
}

json set_operator_policy(CommandContext& ctx, const json& request) {
    return set_any(ctx, request, PolicyKind::OperatorPolicy);
}

json clear_policy(CommandContext& ctx, const json& request) {
    return clear_any(ctx, request, PolicyKind::Policy);
}

json clear_operator_policy(CommandContext& ctx, const json& request) {
    return clear_any(ctx, request, PolicyKind::OperatorPolicy);
}

json list_policies(CommandContext& ctx, const json& request) {
    return list_any(ctx, request, PolicyKind::Policy);
}

json list_operator_policies(CommandContext& ctx, const json& request) {
    return list_any(ctx, request, PolicyKind::OperatorPolicy);
}

}  // namespace warren::admin
