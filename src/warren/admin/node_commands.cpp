// Queues (purge, delete), connections (close), the node (status, ping, stop) and
// definitions (export, import).
#include "warren/admin/handlers.h"
#include "warren/admin/protocol.h"
#include "warren/broker/broker.h"
#include "warren/broker/definitions.h"
#include "warren/broker/delayed_messages.h"
#include "warren/broker/exchange.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"
#include "warren/util/log.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <charconv>

namespace warren::admin {
namespace {

spdlog::logger& log() { return util::logger("admin"); }

/// The connection id in a pid as connection_pid() writes it (<node.1.ID.0>), or 0.
uint64_t id_from_pid(std::string_view pid) {
    if (pid.size() < 2 || pid.front() != '<' || pid.back() != '>') return 0;
    pid = pid.substr(1, pid.size() - 2);
    if (!pid.ends_with(".0")) return 0;
    pid.remove_suffix(2);
    size_t dot = pid.rfind('.');
    if (dot == std::string_view::npos || !pid.substr(0, dot).ends_with(".1")) return 0;
    uint64_t id = 0;
    auto digits = pid.substr(dot + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    return ec == std::errc() && p == digits.data() + digits.size() ? id : 0;
}

}  // namespace

json purge_queue(CommandContext& ctx, const json& request) {
    broker::Vhost* vh = ctx.broker.find_vhost(vhost_arg(request));
    broker::Queue* q = vh ? vh->find_queue(arg(request, "queue")) : nullptr;
    if (!q) return error_reply(kExitUnavailable, "not_found");
    json reply = ok_reply();
    reply["messages"] = q->purge();
    return reply;
}

json delete_queue(CommandContext& ctx, const json& request) {
    broker::Vhost* vh = ctx.broker.find_vhost(vhost_arg(request));
    broker::Queue* q = vh ? vh->find_queue(arg(request, "queue")) : nullptr;
    if (!q) return error_reply(kExitUsage, "Queue not found");
    if (flag(request, "if_empty") && q->ready_count() > 0)
        return error_reply(kExitUsage, "Queue is not empty");
    if (flag(request, "if_unused") && q->has_consumers())
        return error_reply(kExitUsage, "Queue is in use");
    size_t ready = q->ready_count();
    vh->remove_queue(*q);
    json reply = ok_reply();
    reply["messages"] = ready;
    return reply;
}

json close_connection(CommandContext& ctx, const json& request) {
    std::string which = arg(request, "connection");
    uint64_t id = id_from_pid(which);
    conn::Connection* target = nullptr;
    for (const auto& [p, c] : ctx.server.connections()) {
        if (c->is_closed()) continue;
        if (id != 0 ? c->id() == id : connection_name(*c) == which) target = p;
    }
    if (!target) {
        // A well-formed pid of a connection that is gone: RabbitMQ says nothing either.
        if (id != 0) return ok_reply();
        return error_reply(kExitUnavailable, "Error:\n{:invalid_pid_syntax, \"" + which + "\"}");
    }
    std::string explanation = arg(request, "explanation");
    log().info("closing connection {} ({}) on request: {}", target->id(),
               target->peer().to_string(), explanation);
    target->force_close(explanation);
    return ok_reply();
}

/// Warren's own: what the x-delayed-message exchanges hold and how punctually they released
/// it since the broker started (release time minus due time).
json delayed_status(const std::vector<broker::Vhost*>& vhosts) {
    uint64_t pending = 0, overdue = 0;
    util::LogHistogram lateness_us;
    for (broker::Vhost* vh : vhosts)
        for (const auto& [name, x] : vh->exchanges())
            if (const broker::DelayedMessages* d = x->delayed()) {
                pending += d->size();
                overdue += d->released_overdue();
                lateness_us.merge(d->release_lateness_us());
            }
    auto ms = [&](double q) { return static_cast<double>(lateness_us.percentile(q)) / 1000.0; };
    return {{"pending", pending},
            {"released", lateness_us.count() + overdue},
            {"released_overdue_at_start", overdue},
            {"release_lateness_ms",
             {{"p50", ms(0.5)},
              {"p99", ms(0.99)},
              {"p999", ms(0.999)},
              {"max", static_cast<double>(lateness_us.max()) / 1000.0}}}};
}

json status(CommandContext& ctx, const json&) {
    size_t queues = 0;
    std::vector<broker::Vhost*> vhosts;
    for (const auto& name : ctx.broker.users().vhosts()) {
        if (broker::Vhost* vh = ctx.broker.find_vhost(name)) {
            vhosts.push_back(vh);
            queues += vh->queues().size();
        }
    }
    const config::Config& config = ctx.broker.config();
    const auto& alarms = ctx.server.alarms();
    json reply = ok_reply();
    reply["pid"] = getpid();
    reply["node"] = ctx.node;
    reply["version"] = "0.1.0";
    reply["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - ctx.started)
                            .count();
    reply["data_directory"] = config.data_dir;
    reply["listeners"] = json::array(
        {{{"protocol", "amqp"},
          {"interface", config.bind.empty() ? "[::]" : config.bind},
          {"port", ctx.server.bound_port()}}});
    reply["connections"] = ctx.server.connection_count();
    reply["vhosts"] = vhosts.size();
    reply["queues"] = queues;
    reply["delayed_messages"] = delayed_status(vhosts);
    reply["memory_used_bytes"] = conn::ResourceAlarms::resident_bytes();
    reply["memory_limit_bytes"] = alarms.memory_limit();
    reply["disk_free_limit_bytes"] = alarms.disk_free_limit();
    struct statvfs fs {};
    if (statvfs(config.data_dir.c_str(), &fs) == 0)
        reply["disk_free_bytes"] = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    reply["alarms"] = alarms.active() ? json::array({alarms.reason()}) : json::array();
    return reply;
}

json ping(CommandContext&, const json&) { return ok_reply(); }

json stop(CommandContext& ctx, const json&) {
    log().info("stop requested over the control socket");
    if (ctx.stop) ctx.stop();
    return ok_reply();
}

json export_definitions(CommandContext& ctx, const json&) {
    json reply = ok_reply();
    reply["definitions"] = broker::export_definitions(ctx.broker);
    return reply;
}

json import_definitions(CommandContext& ctx, const json& request) {
    auto it = request.find("definitions");
    if (it == request.end() || !it->is_object())
        return error_reply(kExitDataErr, "definitions must be a JSON object");
    try {
        broker::import_definitions(ctx.broker, *it);
    } catch (const std::exception& e) {
        ctx.broker.definitions_changed();  // whatever was applied before the bad entry
        return error_reply(kExitDataErr, std::string("Failed to import definitions: ") + e.what());
    }
    ctx.broker.definitions_changed();
    log().info("definitions imported over the control socket");
    return ok_reply();
}

}  // namespace warren::admin
