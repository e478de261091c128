#include "warren/broker/broker.h"

#include "warren/auth/password.h"
#include "warren/broker/definitions.h"
#include "warren/store/atomic_file.h"
#include "warren/util/log.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>

namespace warren::broker {
namespace {

spdlog::logger& log() { return util::logger("broker"); }

}  // namespace

Broker::Broker(net::EventLoop& loop, const config::Config& config)
    : loop_(loop), config_(config),
      log_(std::make_unique<store::MessageLog>(loop, config.data_dir + "/messages")) {}

Broker::~Broker() {
    log_->close();
    vhosts_.clear();
    log_.reset();
}

Vhost* Broker::find_vhost(std::string_view name) {
    auto it = vhosts_.find(name);
    return it == vhosts_.end() ? nullptr : it->second.get();
}

Vhost& Broker::add_vhost(const std::string& name) {
    auto it = vhosts_.find(name);
    if (it != vhosts_.end()) return *it->second;
    users_.add_vhost(name);
    definitions_changed();
    auto vh = std::make_unique<Vhost>(loop_, name, log_.get(), [this] { definitions_changed(); });
    return *vhosts_.emplace(name, std::move(vh)).first->second;
}

bool Broker::delete_vhost(std::string_view name) {
    auto it = vhosts_.find(name);
    if (it == vhosts_.end()) return false;
    vhosts_.erase(it);
    definitions_changed();
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

std::string Broker::definitions_path() const { return config_.data_dir + "/definitions.json"; }

void Broker::start() {
    users_.set_loopback_users(config_.loopback_users);
    loading_ = true;
    std::string text;
    auto ec = store::read_file(definitions_path(), text);
    if (!ec) {
        try {
            import_definitions(*this, nlohmann::json::parse(text));
        } catch (const std::exception& e) {
            throw std::runtime_error(definitions_path() + ": " + e.what());
        }
        log().info("restored definitions from {}", definitions_path());
    } else if (ec == std::errc::no_such_file_or_directory) {
        add_defaults();
    } else {
        throw std::runtime_error("cannot read " + definitions_path() + ": " + ec.message());
    }
    if (!config_.load_definitions.empty()) load_definitions(config_.load_definitions);
    loading_ = false;
    if (!save_definitions())
        throw std::runtime_error("cannot write " + definitions_path());
    recover_messages();
}

void Broker::load_definitions(const std::string& path) {
    std::string text;
    if (auto ec = store::read_file(path, text))
        throw std::runtime_error("cannot read definitions file '" + path + "': " + ec.message());
    try {
        import_definitions(*this, nlohmann::json::parse(text));
    } catch (const std::exception& e) {
        throw std::runtime_error("definitions file '" + path + "': " + e.what());
    }
    log().info("imported definitions from {}", path);
    definitions_changed();
}

void Broker::definitions_changed() {
    if (!loading_) loop_.schedule(*this, 0);
}

bool Broker::save_definitions() {
    std::string text = export_definitions(*this).dump(2);
    if (auto ec = store::write_file_atomically(definitions_path(), text)) {
        log().error("cannot write {}: {}", definitions_path(), ec.message());
        return false;
    }
    return true;
}

void Broker::recover_messages() {
    auto started = std::chrono::steady_clock::now();
    size_t restored = 0;
    auto report = log_->recover([&](store::RecoveredMessage&& m) {
        bool persistent = true;
        MessageRef message = MessageRef::make(std::move(m.exchange), std::move(m.routing_key),
                                              std::move(m.data), m.properties_size, persistent);
        std::vector<std::pair<Queue*, bool>> holders;
        for (const std::string& key : m.queues) {
            size_t sep = key.find('\0');
            if (sep == std::string::npos) continue;
            Vhost* vh = find_vhost(std::string_view(key).substr(0, sep));
            Queue* q = vh ? vh->find_queue(std::string_view(key).substr(sep + 1)) : nullptr;
            if (!q || !q->is_stored()) continue;
            bool delivered =
                std::find(m.delivered.begin(), m.delivered.end(), key) != m.delivered.end();
            holders.emplace_back(q, delivered);
        }
        if (holders.empty()) return;
        message->set_stored(m.id, m.segment, static_cast<uint32_t>(holders.size()));
        log_->retain(m.segment);
        for (auto& [q, delivered] : holders) q->enqueue_recovered(message, delivered);
        ++restored;
    });
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    for (const auto& problem : report.problems) log().warn("recovery: {}", problem);
    log().info("recovered {} message(s) from {} segment(s), {} record(s) in {} ms", restored,
               report.segments, report.records, ms);
}

}  // namespace warren::broker
