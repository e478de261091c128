#include "warren/broker/definitions.h"

#include "warren/auth/password.h"
#include "warren/broker/broker.h"
#include "warren/broker/json_fields.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace warren::broker {
namespace {

using nlohmann::json;

bool is_builtin_exchange(const std::string& name) {
    return name.empty() || name.starts_with("amq.");
}

// Policies as RabbitMQ exports them; operator policies are runtime parameters there, their
// definition a list of [key, value] pairs.
json policy_json(const Policy& p, const std::string& vhost) {
    return {{"vhost", vhost},
            {"name", p.name},
            {"pattern", p.pattern},
            {"apply-to", apply_to_name(p.apply_to)},
            {"definition", json::parse(p.definition_json)},
            {"priority", p.priority}};
}

json operator_policy_json(const Policy& p, const std::string& vhost) {
    json pairs = json::array();
    json definition = json::parse(p.definition_json);
    for (const auto& [key, value] : definition.items()) pairs.push_back(json::array({key, value}));
    return {{"vhost", vhost},
            {"component", "operator_policy"},
            {"name", p.name},
            {"value",
             {{"pattern", p.pattern},
              {"apply-to", apply_to_name(p.apply_to)},
              {"definition", pairs},
              {"priority", p.priority}}}};
}

void import_policy(Broker& broker, const json& vhost, const json& name, const json& body,
                   PolicyKind kind) {
    json definition = body.value("definition", json::object());
    if (definition.is_array()) {  // [[key, value], ...]
        json object = json::object();
        for (const auto& pair : definition)
            if (pair.is_array() && pair.size() == 2 && pair[0].is_string())
                object[pair[0].get<std::string>()] = pair[1];
        definition = std::move(object);
    }
    PolicyRequest request{name.get<std::string>(), body.at("pattern").get<std::string>(),
                          body.value("apply-to", std::string("all")),
                          body.value("priority", int64_t{0}), &definition};
    auto policy = make_policy(request, kind);
    if (!policy)
        throw std::runtime_error("policy '" + request.name + "': " + policy.error());
    broker.add_vhost(vhost.get<std::string>()).set_policy(std::move(*policy), kind);
}

}  // namespace

nlohmann::json export_definitions(Broker& broker) {
    json users = json::array(), vhosts = json::array(), permissions = json::array();
    json queues = json::array(), exchanges = json::array(), bindings = json::array();
    json policies = json::array(), parameters = json::array();
    auth::UserDb& db = broker.users();
    for (const auto& u : db.all_users()) {
        users.push_back({{"name", u.name},
                         {"password_hash", u.password_hash},
                         {"hashing_algorithm", "rabbit_password_hashing_sha256"},
                         {"tags", u.tags},
                         {"limits", json::object()}});
    }
    for (const auto& name : db.vhosts()) {
        vhosts.push_back({{"name", name}});
        for (const auto& u : db.all_users()) {
            if (const auto* p = db.permissions(u.name, name))
                permissions.push_back({{"user", u.name},
                                       {"vhost", name},
                                       {"configure", p->configure},
                                       {"write", p->write},
                                       {"read", p->read}});
        }
        Vhost* vh = broker.find_vhost(name);
        if (!vh) continue;
        for (const Policy& p : vh->policies(PolicyKind::Policy).all())
            policies.push_back(policy_json(p, name));
        for (const Policy& p : vh->policies(PolicyKind::OperatorPolicy).all())
            parameters.push_back(operator_policy_json(p, name));
        for (const auto& [qname, q] : vh->queues()) {
            if (!q->is_stored()) continue;
            queues.push_back({{"name", qname},
                              {"vhost", name},
                              {"durable", true},
                              {"auto_delete", q->is_auto_delete()},
                              {"arguments", to_json(q->spec().arguments)}});
        }
        for (const auto& [xname, x] : vh->exchanges()) {
            if (x->is_durable() && !is_builtin_exchange(xname))
                exchanges.push_back({{"name", xname},
                                     {"vhost", name},
                                     {"type", x->type()},
                                     {"durable", true},
                                     {"auto_delete", x->is_auto_delete()},
                                     {"internal", x->is_internal()},
                                     {"arguments", to_json(x->spec().arguments)}});
            if (!x->is_durable()) continue;
            for (const Binding& b : x->bindings()) {
                bool to_queue = b.destination.queue != nullptr;
                if (to_queue ? !b.destination.queue->is_stored()
                             : !b.destination.exchange->is_durable())
                    continue;
                bindings.push_back(
                    {{"source", xname},
                     {"vhost", name},
                     {"destination", to_queue ? b.destination.queue->name()
                                              : b.destination.exchange->name()},
                     {"destination_type", to_queue ? "queue" : "exchange"},
                     {"routing_key", b.routing_key},
                     {"arguments", to_json(b.arguments)}});
            }
        }
    }
    return json{{"product_name", "Warren"},
                {"product_version", "0.1.0"},
                {"users", users},
                {"vhosts", vhosts},
                {"permissions", permissions},
                {"topic_permissions", json::array()},
                {"parameters", parameters},
                {"global_parameters", json::array()},
                {"policies", policies},
                {"queues", queues},
                {"exchanges", exchanges},
                {"bindings", bindings}};
}

void import_definitions(Broker& broker, const nlohmann::json& defs) {
    auto list = [&](const char* key) { return defs.value(key, json::array()); };
    try {
        for (const auto& v : list("vhosts")) broker.add_vhost(v.at("name").get<std::string>());
        for (const auto& u : list("users")) {
            auth::User user;
            user.name = u.at("name").get<std::string>();
            if (u.contains("password_hash")) {
                std::string algo =
                    u.value("hashing_algorithm", std::string("rabbit_password_hashing_sha256"));
                if (algo != "rabbit_password_hashing_sha256")
                    throw std::runtime_error("user '" + user.name +
                                             "': unsupported hashing_algorithm '" + algo + "'");
                user.password_hash = u.at("password_hash").get<std::string>();
            } else if (u.contains("password")) {
                user.password_hash = auth::hash_password(u.at("password").get<std::string>());
            }
            json tags = u.value("tags", json::array());
            if (tags.is_string()) {
                std::string all = tags.get<std::string>();
                size_t start = 0;
                while (start < all.size()) {
                    size_t comma = all.find(',', start);
                    if (comma == std::string::npos) comma = all.size();
                    if (comma > start) user.tags.push_back(all.substr(start, comma - start));
                    start = comma + 1;
                }
            } else {
                for (const auto& t : tags) user.tags.push_back(t.get<std::string>());
            }
            broker.users().put_user(std::move(user));
        }
        for (const auto& p : list("permissions")) {
            std::string user = p.at("user").get<std::string>();
            if (!broker.users().set_permissions(user, p.at("vhost").get<std::string>(),
                                                p.at("configure").get<std::string>(),
                                                p.at("write").get<std::string>(),
                                                p.at("read").get<std::string>()))
                throw std::runtime_error("invalid permission regex for user '" + user + "'");
        }
        for (const auto& p : list("policies"))
            import_policy(broker, p.at("vhost"), p.at("name"), p, PolicyKind::Policy);
        for (const auto& p : list("parameters"))
            if (p.value("component", std::string()) == "operator_policy")
                import_policy(broker, p.at("vhost"), p.at("name"), p.at("value"),
                              PolicyKind::OperatorPolicy);
        for (const auto& x : list("exchanges")) {
            Vhost& vh = broker.add_vhost(x.at("vhost").get<std::string>());
            ExchangeSpec spec{x.at("name").get<std::string>(), x.at("type").get<std::string>(),
                              x.value("durable", true), x.value("auto_delete", false),
                              x.value("internal", false),
                              table_from_json(x.value("arguments", json::object()))};
            if (!make_exchange_matcher(spec))
                throw std::runtime_error("exchange '" + spec.name + "': unknown type '" +
                                         spec.type + "'");
            vh.restore_exchange(spec);
        }
        for (const auto& q : list("queues")) {
            Vhost& vh = broker.add_vhost(q.at("vhost").get<std::string>());
            QueueSpec spec{q.at("name").get<std::string>(), q.value("durable", true), false,
                           q.value("auto_delete", false),
                           table_from_json(q.value("arguments", json::object()))};
            vh.restore_queue(spec);
        }
        for (const auto& b : list("bindings")) {
            Vhost& vh = broker.add_vhost(b.at("vhost").get<std::string>());
            std::string source = b.at("source").get<std::string>();
            std::string destination = b.at("destination").get<std::string>();
            std::string key = b.value("routing_key", std::string());
            amqp::FieldTable args = table_from_json(b.value("arguments", json::object()));
            auto done = b.value("destination_type", std::string("queue")) == "exchange"
                            ? vh.bind_exchange(destination, source, key, args)
                            : vh.bind_queue(destination, source, key, args, OwnerId::None);
            if (!done) throw std::runtime_error("binding: " + done.error().text);
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(e.what());
    }
}

}  // namespace warren::broker
