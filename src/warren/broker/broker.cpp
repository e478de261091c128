#include "warren/broker/broker.h"

#include "warren/auth/password.h"
#include "warren/util/log.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace warren::broker {

Broker::Broker(net::EventLoop& loop, const config::Config& config)
    : loop_(loop), config_(config) {}

Broker::~Broker() = default;

Vhost* Broker::find_vhost(std::string_view name) {
    auto it = vhosts_.find(name);
    return it == vhosts_.end() ? nullptr : it->second.get();
}

Vhost& Broker::add_vhost(const std::string& name) {
    auto it = vhosts_.find(name);
    if (it != vhosts_.end()) return *it->second;
    users_.add_vhost(name);
    return *vhosts_.emplace(name, std::make_unique<Vhost>(loop_, name)).first->second;
}

bool Broker::delete_vhost(std::string_view name) {
    auto it = vhosts_.find(name);
    if (it == vhosts_.end()) return false;
    vhosts_.erase(it);
    return true;
}

void Broker::add_defaults() {
    add_vhost(config_.default_vhost);
    if (!users_.find_user(config_.default_user)) {
        users_.put_user(auth::User{config_.default_user, auth::hash_password(config_.default_pass),
                                   {"administrator"}});
        users_.set_permissions(config_.default_user, config_.default_vhost, ".*", ".*", ".*");
    }
}

void Broker::load_definitions(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read definitions file '" + path + "'");
    nlohmann::json defs;
    try {
        defs = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("definitions file '" + path + "': " + e.what());
    }
    try {
        for (const auto& v : defs.value("vhosts", nlohmann::json::array()))
            add_vhost(v.at("name").get<std::string>());
        for (const auto& u : defs.value("users", nlohmann::json::array())) {
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
            auto tags = u.value("tags", nlohmann::json::array());
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
            users_.put_user(std::move(user));
        }
        for (const auto& p : defs.value("permissions", nlohmann::json::array())) {
            std::string user = p.at("user").get<std::string>();
            std::string vhost = p.at("vhost").get<std::string>();
            if (!users_.set_permissions(user, vhost, p.at("configure").get<std::string>(),
                                        p.at("write").get<std::string>(),
                                        p.at("read").get<std::string>()))
                throw std::runtime_error("invalid permission regex for user '" + user + "'");
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("definitions file '" + path + "': " + e.what());
    }
    util::logger("broker").info("imported definitions from {}", path);
}

}  // namespace warren::broker
