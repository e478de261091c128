// list_queues, list_exchanges, list_bindings, list_connections, list_channels,
// list_consumers, list_users, list_vhosts, list_permissions, list_user_permissions.
// Each computes the asked columns, in order, for every row; warrenctl formats them.
#include "warren/admin/field_json.h"
#include "warren/admin/handlers.h"
#include "warren/admin/info_items.h"
#include "warren/admin/protocol.h"
#include "warren/broker/broker.h"
#include "warren/conn/channel.h"
#include "warren/conn/connection.h"
#include "warren/conn/server.h"

#include <algorithm>
#include <map>

namespace warren::admin {
namespace {

/// The columns the request asks for (defaults if none), or an error reply.
bool columns_of(const json& request, std::string_view command, std::vector<std::string>& out,
                json& error) {
    const ListSpec* spec = find_list_spec(command);
    std::vector<std::string> asked;
    if (auto it = request.find("items"); it != request.end() && it->is_array())
        for (const auto& i : *it)
            if (i.is_string()) asked.push_back(i.get<std::string>());
    auto bad = unsupported_items(*spec, asked);
    if (!bad.empty()) {
        std::string names;
        for (const auto& b : bad) names += (names.empty() ? "" : ",") + b;
        error = error_reply(kExitUsage, "Info key(s) " + names + " are not supported");
        return false;
    }
    out = effective_items(*spec, asked);
    return true;
}

/// Builds rows from a function giving one column's value for one object.
template <class T, class F>
json rows_of(const std::vector<T>& objects, const std::vector<std::string>& columns, F value) {
    json rows = json::array();
    for (const T& o : objects) {
        json row = json::array();
        for (const auto& c : columns) row.push_back(value(o, c));
        rows.push_back(std::move(row));
    }
    return rows;
}

json rows_reply(json rows) {
    json r = ok_reply();
    r["rows"] = std::move(rows);
    return r;
}

std::vector<conn::Connection*> connections_by_id(conn::Server& server) {
    std::vector<conn::Connection*> out;
    for (const auto& [p, c] : server.connections())
        if (!c->is_closed()) out.push_back(p);
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id() < b->id(); });
    return out;
}

std::string vhost_name(conn::Connection& c) { return c.vhost() ? c.vhost()->name() : ""; }

template <class Map>
auto sorted_values(const Map& map) {
    std::vector<decltype(map.begin()->second.get())> out;
    for (const auto& [name, ref] : map) out.push_back(ref.get());
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
    return out;
}

struct ConsumerRow {
    conn::Connection* connection;
    conn::Channel* channel;
    const conn::ChannelConsumer* consumer;
};

std::vector<ConsumerRow> consumers_of(conn::Server& server, std::string_view vhost) {
    std::vector<ConsumerRow> out;
    for (conn::Connection* c : connections_by_id(server)) {
        if (vhost_name(*c) != vhost) continue;
        for (const auto& ch : c->channels())
            for (const auto& [tag, consumer] : ch->consumers())
                out.push_back({c, ch.get(), consumer.get()});
    }
    return out;
}

}  // namespace

json list_queues(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_queues", columns, error)) return error;
    std::string vhost = vhost_arg(request);
    broker::Vhost* vh = ctx.broker.find_vhost(vhost);
    if (!vh) return rows_reply(json::array());  // as rabbitmqctl: an empty list
    // Exclusive consumers, looked up only when asked for.
    std::map<const broker::Queue*, ConsumerRow> exclusive;
    if (std::find_if(columns.begin(), columns.end(), [](const std::string& c) {
            return c.starts_with("exclusive_consumer");
        }) != columns.end())
        for (const ConsumerRow& r : consumers_of(ctx.server, vhost))
            if (r.consumer->is_exclusive()) exclusive.emplace(&r.consumer->queue(), r);
    auto value = [&](broker::Queue* q, const std::string& c) -> json {
        if (c == "name") return q->name();
        if (c == "vhost") return q->vhost();
        if (c == "durable") return q->is_durable();
        if (c == "auto_delete") return q->is_auto_delete();
        if (c == "exclusive") return q->is_exclusive();
        if (c == "arguments") return field_table_json(q->spec().arguments);
        if (c == "policy") return q->policy();
        if (c == "owner_pid")
            return q->is_exclusive() ? connection_pid(ctx.node, static_cast<uint64_t>(q->owner()))
                                     : "";
        if (c == "exclusive_consumer_pid" || c == "exclusive_consumer_tag") {
            auto it = exclusive.find(q);
            if (it == exclusive.end()) return "";
            const ConsumerRow& r = it->second;
            return c == "exclusive_consumer_tag"
                       ? r.consumer->tag()
                       : channel_pid(ctx.node, r.connection->id(), r.channel->number());
        }
        if (c == "messages_ready") return q->ready_count();
        if (c == "messages_unacknowledged") return q->unacked_count();
        if (c == "messages") return q->ready_count() + q->unacked_count();
        if (c == "consumers") return q->consumer_count();
        if (c == "memory")  // the queue's own bookkeeping, an estimate; bodies are shared
            return sizeof(broker::Queue) +
                   (q->ready_count() + q->unacked_count()) * sizeof(broker::QueuedMessage);
        if (c == "state") return "running";
        if (c == "type") return q->is_quorum() ? "quorum" : "classic";
        return nullptr;
    };
    return rows_reply(rows_of(sorted_values(vh->queues()), columns, value));
}

json list_exchanges(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_exchanges", columns, error)) return error;
    broker::Vhost* vh = ctx.broker.find_vhost(vhost_arg(request));
    if (!vh) return rows_reply(json::array());
    auto value = [&](broker::Exchange* x, const std::string& c) -> json {
        if (c == "name") return x->name();
        if (c == "type") return x->type();
        if (c == "durable") return x->is_durable();
        if (c == "auto_delete") return x->is_auto_delete();
        if (c == "internal") return x->is_internal();
        if (c == "arguments") return field_table_json(x->spec().arguments);
        if (c == "policy") return x->policy();
        if (c == "vhost") return x->vhost();
        return nullptr;
    };
    return rows_reply(rows_of(sorted_values(vh->exchanges()), columns, value));
}

json list_bindings(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_bindings", columns, error)) return error;
    broker::Vhost* vh = ctx.broker.find_vhost(vhost_arg(request));
    if (!vh) return rows_reply(json::array());
    struct Row {
        std::string source, destination, kind, routing_key;
        const amqp::FieldTable* arguments;
    };
    static const amqp::FieldTable kNone;
    std::vector<Row> rows;
    // Every queue is bound to the default exchange under its own name (RabbitMQ lists it).
    for (broker::Queue* q : sorted_values(vh->queues()))
        rows.push_back({"", q->name(), "queue", q->name(), &kNone});
    for (broker::Exchange* x : sorted_values(vh->exchanges())) {
        if (x->name().empty()) continue;
        for (const broker::Binding& b : x->bindings()) {
            bool to_queue = b.destination.queue != nullptr;
            rows.push_back({x->name(),
                            to_queue ? b.destination.queue->name() : b.destination.exchange->name(),
                            to_queue ? "queue" : "exchange", b.routing_key, &b.arguments});
        }
    }
    std::string vhost = vh->name();
    auto value = [&](const Row& r, const std::string& c) -> json {
        if (c == "source_name") return r.source;
        if (c == "source_kind") return "exchange";
        if (c == "destination_name") return r.destination;
        if (c == "destination_kind") return r.kind;
        if (c == "routing_key") return r.routing_key;
        if (c == "arguments") return field_table_json(*r.arguments);
        if (c == "vhost") return vhost;
        return nullptr;
    };
    return rows_reply(rows_of(rows, columns, value));
}

json list_connections(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_connections", columns, error)) return error;
    auto value = [&](conn::Connection* c, const std::string& col) -> json {
        if (col == "pid") return connection_pid(ctx.node, c->id());
        if (col == "name") return connection_name(*c);
        if (col == "port") return c->local_address().port;
        if (col == "host") return c->local_address().host;
        if (col == "peer_port") return c->peer().port;
        if (col == "peer_host") return c->peer().host;
        if (col == "ssl") return false;
        if (col == "protocol") return json::array({0, 9, 1});
        if (col == "auth_mechanism") return c->auth_mechanism();
        if (col == "user") return c->user_name();
        if (col == "vhost") return vhost_name(*c);
        if (col == "timeout") return c->heartbeat_s();
        if (col == "frame_max") return c->frame_max();
        if (col == "channel_max") return c->channel_max();
        if (col == "client_properties") return field_table_json(c->client_properties());
        if (col == "connected_at") return c->connected_at_ms();
        if (col == "state") return c->state_name();
        if (col == "channels") return c->channels().size();
        if (col == "node") return ctx.node;
        return nullptr;
    };
    return rows_reply(rows_of(connections_by_id(ctx.server), columns, value));
}

json list_channels(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_channels", columns, error)) return error;
    std::vector<std::pair<conn::Connection*, conn::Channel*>> channels;
    for (conn::Connection* c : connections_by_id(ctx.server))
        for (const auto& ch : c->channels()) channels.emplace_back(c, ch.get());
    auto value = [&](const std::pair<conn::Connection*, conn::Channel*>& p,
                     const std::string& col) -> json {
        auto [c, ch] = p;
        if (col == "pid") return channel_pid(ctx.node, c->id(), ch->number());
        if (col == "connection") return connection_pid(ctx.node, c->id());
        if (col == "name") return connection_name(*c) + " (" + std::to_string(ch->number()) + ")";
        if (col == "number") return ch->number();
        if (col == "user") return c->user_name();
        if (col == "vhost") return vhost_name(*c);
        if (col == "state") return ch->is_closing() ? "closing" : "running";
        if (col == "node") return ctx.node;
        conn::Channel::Stats s = ch->stats();
        if (col == "transactional") return s.transactional;
        if (col == "confirm") return s.confirm;
        if (col == "consumer_count") return s.consumer_count;
        if (col == "messages_unacknowledged") return s.messages_unacknowledged;
        if (col == "messages_unconfirmed") return s.messages_unconfirmed;
        if (col == "messages_uncommitted") return s.messages_uncommitted;
        if (col == "acks_uncommitted") return s.acks_uncommitted;
        if (col == "prefetch_count") return s.prefetch_count;
        if (col == "global_prefetch_count") return s.global_prefetch_count;
        return nullptr;
    };
    return rows_reply(rows_of(channels, columns, value));
}

json list_consumers(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_consumers", columns, error)) return error;
    auto value = [&](const ConsumerRow& r, const std::string& col) -> json {
        const conn::ChannelConsumer& k = *r.consumer;
        if (col == "queue_name") return k.queue().name();
        if (col == "channel_pid")
            return channel_pid(ctx.node, r.connection->id(), r.channel->number());
        if (col == "consumer_tag") return k.tag();
        if (col == "ack_required") return !k.is_no_ack();
        if (col == "prefetch_count") return k.prefetch_;
        if (col == "active") return true;
        if (col == "activity_status") return "up";
        if (col == "exclusive") return k.is_exclusive();
        if (col == "arguments") return field_table_json(k.arguments);
        return nullptr;
    };
    return rows_reply(rows_of(consumers_of(ctx.server, vhost_arg(request)), columns, value));
}

json list_users(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_users", columns, error)) return error;
    auto value = [](const auth::User& u, const std::string& col) -> json {
        if (col == "user") return u.name;
        if (col == "tags") return u.tags;
        return nullptr;
    };
    return rows_reply(rows_of(ctx.broker.users().all_users(), columns, value));
}

json list_vhosts(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_vhosts", columns, error)) return error;
    std::vector<std::string> names = ctx.broker.users().vhosts();
    std::sort(names.begin(), names.end());
    auto value = [](const std::string& name, const std::string& col) -> json {
        if (col == "name") return name;
        if (col == "tracing") return false;
        if (col == "description") return "";
        if (col == "tags") return json::array();
        return nullptr;
    };
    return rows_reply(rows_of(names, columns, value));
}

json list_permissions(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_permissions", columns, error)) return error;
    std::string vhost = vhost_arg(request);
    auth::UserDb& db = ctx.broker.users();
    if (!db.has_vhost(vhost))
        return bare_error_reply(kExitDataErr, "Virtual host '" + vhost + "' does not exist");
    std::vector<std::pair<std::string, const auth::Permission*>> rows;
    for (const auth::User& u : db.all_users())
        if (const auth::Permission* p = db.permissions(u.name, vhost)) rows.emplace_back(u.name, p);
    auto value = [](const std::pair<std::string, const auth::Permission*>& r,
                    const std::string& col) -> json {
        if (col == "user") return r.first;
        if (col == "configure") return r.second->configure;
        if (col == "write") return r.second->write;
        if (col == "read") return r.second->read;
        return nullptr;
    };
    return rows_reply(rows_of(rows, columns, value));
}

json list_user_permissions(CommandContext& ctx, const json& request) {
    std::vector<std::string> columns;
    json error;
    if (!columns_of(request, "list_user_permissions", columns, error)) return error;
    std::string user = arg(request, "user");
    auth::UserDb& db = ctx.broker.users();
    if (!db.find_user(user))
        return error_reply(kExitUnavailable, "{:no_such_user, \"" + user + "\"}");
    std::vector<std::string> vhosts = db.vhosts();
    std::sort(vhosts.begin(), vhosts.end());
    std::vector<std::pair<std::string, const auth::Permission*>> rows;
    for (const auto& vh : vhosts)
        if (const auth::Permission* p = db.permissions(user, vh)) rows.emplace_back(vh, p);
    auto value = [](const std::pair<std::string, const auth::Permission*>& r,
                    const std::string& col) -> json {
        if (col == "vhost") return r.first;
        if (col == "configure") return r.second->configure;
        if (col == "write") return r.second->write;
        if (col == "read") return r.second->read;
        return nullptr;
    };
    return rows_reply(rows_of(rows, columns, value));
}

}  // namespace warren::admin
