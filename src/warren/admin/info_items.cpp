#include "warren/admin/info_items.h"

#include <algorithm>

namespace warren::admin {
namespace {

using K = ValueKind;

constexpr InfoItem kQueueItems[] = {
    {"name"}, {"vhost"}, {"durable"}, {"auto_delete"}, {"exclusive"},
    {"arguments", K::FieldTable}, {"policy"}, {"pid"}, {"owner_pid"},
    {"exclusive_consumer_pid"}, {"exclusive_consumer_tag"}, {"messages_ready"},
    {"messages_unacknowledged"}, {"messages"}, {"consumers"}, {"memory"}, {"state"},
    {"type"},
};
constexpr std::string_view kQueueDefaults[] = {"name", "messages"};

constexpr InfoItem kExchangeItems[] = {
    {"name"}, {"type"}, {"durable"}, {"auto_delete"}, {"internal"},
    {"arguments", K::FieldTable}, {"policy"}, {"vhost"},
};
constexpr std::string_view kExchangeDefaults[] = {"name", "type"};

constexpr InfoItem kBindingItems[] = {
    {"source_name"}, {"source_kind"}, {"destination_name"}, {"destination_kind"},
    {"routing_key"}, {"arguments", K::FieldTable}, {"vhost"},
};
constexpr std::string_view kBindingDefaults[] = {"source_name",      "source_kind",
                                                 "destination_name", "destination_kind",
                                                 "routing_key",      "arguments"};

constexpr InfoItem kConnectionItems[] = {
    {"pid"}, {"name"}, {"port"}, {"host"}, {"peer_port"}, {"peer_host"}, {"ssl"},
    {"protocol", K::Tuple}, {"auth_mechanism"}, {"user"}, {"vhost"}, {"timeout"},
    {"frame_max"}, {"channel_max"}, {"client_properties", K::FieldTable}, {"connected_at"},
    {"state"}, {"channels"}, {"node"},
};
constexpr std::string_view kConnectionDefaults[] = {"user", "peer_host", "peer_port", "state"};

constexpr InfoItem kChannelItems[] = {
    {"pid"}, {"connection"}, {"name"}, {"number"}, {"user"}, {"vhost"}, {"transactional"},
    {"confirm"}, {"consumer_count"}, {"messages_unacknowledged"}, {"messages_unconfirmed"},
    {"messages_uncommitted"}, {"acks_uncommitted"}, {"prefetch_count"},
    {"global_prefetch_count"}, {"state"}, {"node"},
};
constexpr std::string_view kChannelDefaults[] = {"pid", "user", "consumer_count",
                                                 "messages_unacknowledged"};

constexpr InfoItem kConsumerItems[] = {
    {"queue_name"}, {"channel_pid"}, {"consumer_tag"}, {"ack_required"}, {"prefetch_count"},
    {"active"}, {"activity_status"}, {"exclusive"}, {"arguments", K::FieldTable},
};
constexpr std::string_view kConsumerDefaults[] = {"queue_name",     "channel_pid",
                                                  "consumer_tag",   "ack_required",
                                                  "prefetch_count", "active",
                                                  "arguments"};

constexpr InfoItem kUserItems[] = {{"user"}, {"tags", K::Tags}};
constexpr std::string_view kUserDefaults[] = {"user", "tags"};

constexpr InfoItem kVhostItems[] = {{"name"}, {"tracing"}, {"description"},
                                    {"tags", K::Tags}};
constexpr std::string_view kVhostDefaults[] = {"name"};

constexpr InfoItem kPermissionItems[] = {{"user"}, {"configure"}, {"write"}, {"read"}};
constexpr std::string_view kPermissionDefaults[] = {"user", "configure", "write", "read"};

constexpr InfoItem kUserPermissionItems[] = {{"vhost"}, {"configure"}, {"write"}, {"read"}};
constexpr std::string_view kUserPermissionDefaults[] = {"vhost", "configure", "write", "read"};

constexpr InfoItem kPolicyItems[] = {{"vhost"},    {"name"},       {"pattern"},
                                     {"apply-to"}, {"definition"}, {"priority"}};
constexpr std::string_view kPolicyDefaults[] = {"vhost",    "name",       "pattern",
                                                "apply-to", "definition", "priority"};

const ListSpec kSpecs[] = {
    {"list_queues", kQueueItems, kQueueDefaults},
    {"list_exchanges", kExchangeItems, kExchangeDefaults},
    {"list_bindings", kBindingItems, kBindingDefaults},
    {"list_connections", kConnectionItems, kConnectionDefaults},
    {"list_channels", kChannelItems, kChannelDefaults},
    {"list_consumers", kConsumerItems, kConsumerDefaults},
    {"list_users", kUserItems, kUserDefaults, false},
    {"list_vhosts", kVhostItems, kVhostDefaults},
    {"list_permissions", kPermissionItems, kPermissionDefaults, false},
    {"list_user_permissions", kUserPermissionItems, kUserPermissionDefaults, false},
    {"list_policies", kPolicyItems, kPolicyDefaults, false},
    {"list_operator_policies", kPolicyItems, kPolicyDefaults, false},
};

}  // namespace

const ListSpec* find_list_spec(std::string_view command) {
    for (const ListSpec& s : kSpecs)
        if (s.command == command) return &s;
    return nullptr;
}

const InfoItem* find_item(const ListSpec& spec, std::string_view name) {
    auto it = std::find_if(spec.items.begin(), spec.items.end(),
                           [&](const InfoItem& i) { return i.name == name; });
    return it == spec.items.end() ? nullptr : &*it;
}

std::vector<std::string> unsupported_items(const ListSpec& spec,
                                           const std::vector<std::string>& requested) {
    std::vector<std::string> out;
    for (const auto& r : requested)
        if (!find_item(spec, r)) out.push_back(r);
    return out;
}

std::vector<std::string> effective_items(const ListSpec& spec,
                                         const std::vector<std::string>& requested) {
    if (!requested.empty()) return requested;
    return {spec.defaults.begin(), spec.defaults.end()};
}

}  // namespace warren::admin
