#include "warren/broker/definitions.h"

#include "warren/auth/password.h"
#include "warren/broker/broker.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace warren::broker {
namespace {

using nlohmann::json;

json to_json(const amqp::FieldValue& v);

json to_json(const amqp::FieldTable& t) {
    json out = json::object();
    for (const auto& [k, v] : t.entries()) out[k] = to_json(v);
    return out;
}

json to_json(const amqp::FieldValue& v) {
    int64_t i = 0;
    if (v.as_int(i)) return i;
    if (const auto* b = v.get_if<bool>()) return *b;
    if (const auto* s = v.string()) return *s;
    if (const auto* f = v.get_if<float>()) return *f;
    if (const auto* d = v.get_if<double>()) return *d;
    if (const auto* t = v.table()) return to_json(*t);
    if (const auto* a = v.array()) {
        json out = json::array();
        for (const auto& item : *a) out.push_back(to_json(item));
        return out;
    }
    if (const auto* x = v.get_if<amqp::ByteArray>()) return x->bytes;
    if (const auto* ts = v.get_if<amqp::Timestamp>()) return ts->seconds;
    return nullptr;
}

amqp::FieldValue from_json(const json& j);

amqp::FieldTable table_from_json(const json& j) {
    amqp::FieldTable t;
    if (!j.is_object()) return t;
    for (auto it = j.begin(); it != j.end(); ++it) t.set(it.key(), from_json(it.value()));
    return t;
}

amqp::FieldValue from_json(const json& j) {
    if (j.is_boolean()) return amqp::FieldValue(j.get<bool>());
    if (j.is_number_integer()) return amqp::FieldValue(j.get<int64_t>());
    if (j.is_number_float()) return amqp::FieldValue(j.get<double>());
    if (j.is_string()) return amqp::FieldValue(j.get<std::string>());
    if (j.is_object()) return amqp::FieldValue(table_from_json(j));
    if (j.is_array()) {
        amqp::FieldArray a;
        for (const auto& item : j) a.push_back(from_json(item));
        return amqp::FieldValue(std::move(a));
    }
    return amqp::FieldValue();
}

bool is_builtin_exchange(const std::string& name) {
    return name.empty() || name.starts_with("amq.");
}

}  // namespace

nlohmann::json export_definitions(Broker& broker) {
    json users = json::array(), vhosts = json::array(), permissions = json::array();
    json queues = json::array(), exchanges = json::array(), bindings = json::array();
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
                {"parameters", json::array()},
                {"global_parameters", json::array()},
                {"policies", json::array()},
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
