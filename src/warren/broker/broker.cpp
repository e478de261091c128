#include "warren/broker/broker.h"

#include "warren/auth/password.h"
#include "warren/broker/definitions.h"
#include "warren/broker/delayed_messages.h"
#include "warren/config/byte_size.h"
#include "warren/store/atomic_file.h"
#include "warren/util/log.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <stdexcept>

namespace warren::broker {
namespace {

spdlog::logger& log() { return util::logger("broker"); }

}  // namespace

namespace {

uint64_t queue_memory_budget(const config::Config& config) {
    uint64_t total = config::total_memory_bytes();
    if (!config.queue_memory_budget.empty())
        return config::resolve_size(config.queue_memory_budget, total, "queue memory budget");
    return config::resolve_size(config.memory_high_watermark, total, "memory high watermark") / 2;
}

}  // namespace

Broker::Broker(net::EventLoop& loop, const config::Config& config)
    : loop_(loop), config_(config),
      log_(std::make_unique<store::MessageLog>(
          loop, config.data_dir + "/messages",
          config::resolve_size(config.log_segment_size, 0, "log segment size"))),
      pager_(std::make_unique<MessagePager>(
          loop, config.data_dir + "/paging", log_.get(), queue_memory_budget(config),
          config::resolve_size(config.queue_stored_resident, 0, "queue stored resident"))) {
    loop_.every(std::chrono::milliseconds(250), [this] { relieve_memory(); });
    loop_.every(std::chrono::seconds(1), [this] { compact_log(); });
}

void Broker::compact_log() {
    // Relocating a few thousand messages is cheap; a segment with more live ones is a
    // backlog that will drain, not a straggler.
    constexpr uint64_t kMaxRelocated = 10000;
    auto segment = log_->segment_to_compact(kMaxRelocated);
    if (!segment) return;
    size_t moved = 0;
    for (auto& [name, vh] : vhosts_)
        for (auto& [qname, q] : vh->queues())
            if (q->is_stored()) moved += q->relocate(*segment);
    for (auto& [name, vh] : vhosts_)
        for (auto& [xname, x] : vh->exchanges())
            if (x->delayed()) moved += x->delayed()->relocate(*segment);
    if (moved)
        log().info("compacted message log segment {}: moved {} message(s) still queued",
                   *segment, moved);
}

Broker::~Broker() {
    log_->close();
    vhosts_.clear();
    pager_.reset();
    log_.reset();
}

void Broker::relieve_memory() {
    if (!pager_->over_budget()) return;
    std::vector<Queue*> queues;
    for (auto& [name, vh] : vhosts_)
        for (auto& [qname, q] : vh->queues())
            if (q->resident_bytes() > 0) queues.push_back(q.get());
    std::sort(queues.begin(), queues.end(), [](const Queue* a, const Queue* b) {
        return a->resident_bytes() > b->resident_bytes();
    });
    // Down to 90% so the next few publishes do not trip it again; each queue keeps a short
    // head in memory for its consumers.
    uint64_t target = pager_->budget() / 10 * 9;
    uint64_t freed = 0;
    for (Queue* q : queues) {
        if (pager_->resident_bytes() <= target) break;
        freed += q->page_out_tail(64);
    }
    if (freed) log().debug("paged out {} bytes of queued messages (budget {})", freed,
                           pager_->budget());
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
    auto vh = std::make_unique<Vhost>(loop_, name, log_.get(), [this] { definitions_changed(); },
                                      pager_.get());
    return *vhosts_.emplace(name, std::move(vh)).first->second;
}

bool Broker::delete_vhost(std::string_view name) {
    auto it = vhosts_.find(name);
    if (it == vhosts_.end()) return false;
    vhosts_.erase(it);
    users_.remove_vhost(name);
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
    // Store key -> queue, looked up once per key rather than once per message (the keys
    // point into the log's recovery index and last only during recover()).
    std::unordered_map<std::string_view, Queue*> queues;
    std::unordered_map<std::string_view, DelayedMessages*> delayed;
    size_t held = 0;
    auto report = log_->recover([&](const store::RecoveredEntry& e) {
        std::string_view vhost, exchange;
        if (DelayedMessages::parse_store_key(e.queue, vhost, exchange)) {
            auto at = delayed.find(e.queue);
            if (at == delayed.end()) {
                Vhost* vh = find_vhost(vhost);
                Exchange* x = vh ? vh->find_exchange(exchange) : nullptr;
                at = delayed.emplace(e.queue, x && x->is_durable() ? x->delayed() : nullptr).first;
            }
            if (!at->second) return;
            log_->retain(e.location.segment);
            at->second->restore(e.id, e.location, e.due_ms);
            ++held;
            return;
        }
        auto it = queues.find(e.queue);
        if (it == queues.end()) {
            Queue* q = nullptr;
            size_t sep = e.queue.find('\0');
            if (sep != std::string_view::npos) {
                Vhost* vh = find_vhost(e.queue.substr(0, sep));
                q = vh ? vh->find_queue(e.queue.substr(sep + 1)) : nullptr;
                if (q && !q->is_stored()) q = nullptr;
                if (q) q->wake();  // dispatches to consumers once the loop runs
            }
            it = queues.emplace(e.queue, q).first;
        }
        if (!it->second) return;
        log_->retain(e.location.segment);
        it->second->enqueue_recovered(e.id, e.location, e.delivered, e.deliveries);
        ++restored;
    });
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    for (const auto& problem : report.problems) log().warn("recovery: {}", problem);
    log().info("recovered {} queued message(s) ({} distinct) from {} segment(s), {} record(s), "
               "{} MB in {} ms",
               restored, report.messages, report.segments, report.records,
               report.bytes / 1000000, ms);
    if (held) log().info("recovered {} delayed message(s) held by x-delayed-message exchanges", held);
}

}  // namespace warren::broker
