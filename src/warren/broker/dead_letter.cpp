#include "warren/broker/dead_letter.h"

#include "warren/amqp/field_table.h"
#include "warren/amqp/methods.h"
#include "warren/broker/message_rewrite.h"

#include <algorithm>

namespace warren::broker {
namespace {

void sort_table(amqp::FieldTable& t) {
    std::vector<amqp::FieldTable::Entry> entries = t.entries();
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    t.clear();
    for (auto& [k, v] : entries) t.append(std::move(k), std::move(v));
}

std::string string_in(const amqp::FieldTable& t, std::string_view key) {
    const amqp::FieldValue* v = t.find(key);
    const std::string* s = v ? v->string() : nullptr;
    return s ? *s : std::string();
}

}  // namespace

std::string_view death_reason_name(DeathReason reason) {
    switch (reason) {
    case DeathReason::Rejected: return "rejected";
    case DeathReason::Expired: return "expired";
    case DeathReason::MaxLen: return "maxlen";
    case DeathReason::DeliveryLimit: return "delivery_limit";
    }
    return "rejected";
}

bool DeadLetter::cycles_into(std::string_view queue) const {
    if (rejected) return false;
    for (const auto& [q, was_rejected] : deaths) {
        if (was_rejected) return false;
        if (q == queue) return true;
    }
    return false;
}

DeadLetter make_dead_letter(const Message& message, std::string_view queue, DeathReason reason,
                            const std::string& exchange,
                            const std::optional<std::string>& routing_key, uint64_t now_s) {
    amqp::BasicProperties props;
    amqp::Reader r(message.properties());
    props.decode(r);
    amqp::FieldTable headers;
    if (props.has(amqp::BasicProperties::kHeaders)) amqp::decode_table(props.headers.bytes, headers);

    amqp::FieldArray keys;
    keys.emplace_back(message.routing_key());
    for (const std::string& k : message.extra_routing_keys()) keys.emplace_back(k);
    std::string_view reason_text = death_reason_name(reason);
    amqp::FieldTable info;
    info.append("count", int64_t{1});
    info.append("reason", std::string(reason_text));
    info.append("queue", std::string(queue));
    info.append("time", amqp::Timestamp{now_s});
    info.append("exchange", message.exchange());
    info.append("routing-keys", keys);
    if (props.has(amqp::BasicProperties::kExpiration)) {
        info.append("original-expiration", std::string(props.expiration));
        props.flags &= static_cast<uint16_t>(~amqp::BasicProperties::kExpiration);
        props.expiration = {};
    }

    const amqp::FieldValue* existing = headers.find("x-death");
    const amqp::FieldArray* deaths = existing ? existing->array() : nullptr;
    if (!deaths) {
        // The first death gets its own top-level headers.
        headers.set("x-death", amqp::FieldArray{amqp::FieldValue(std::move(info))});
        headers.set("x-first-death-reason", std::string(reason_text));
        headers.set("x-first-death-queue", std::string(queue));
        headers.set("x-first-death-exchange", message.exchange());
    } else {
        amqp::FieldArray updated;
        std::optional<amqp::FieldTable> match;
        for (const amqp::FieldValue& d : *deaths) {
            const amqp::FieldTable* t = d.table();
            if (!match && t && string_in(*t, "queue") == queue &&
                string_in(*t, "reason") == reason_text) {
                match = *t;
                continue;
            }
            updated.push_back(d);
        }
        amqp::FieldTable entry;
        if (match) {
            // The same (queue, reason) again: its count goes up, the rest stays.
            entry = std::move(*match);
            int64_t count = 0;
            if (const amqp::FieldValue* c = entry.find("count"); c && c->as_int(count))
                entry.set("count", int64_t{count + 1});
        } else {
            entry = std::move(info);
        }
        sort_table(entry);
        updated.insert(updated.begin(), amqp::FieldValue(std::move(entry)));
        headers.set("x-death", std::move(updated));
    }
    std::string first_key = routing_key ? *routing_key : message.routing_key();
    std::vector<std::string> extra;
    if (routing_key)
        headers.erase("CC");
    else
        extra = message.extra_routing_keys();
    sort_table(headers);

    DeadLetter out;
    out.rejected = reason == DeathReason::Rejected;
    if (const amqp::FieldArray* all = headers.find("x-death")->array()) {
        for (const amqp::FieldValue& d : *all) {
            const amqp::FieldTable* t = d.table();
            if (!t) continue;
            out.deaths.emplace_back(string_in(*t, "queue"), string_in(*t, "reason") == "rejected");
        }
    }

    out.message = with_headers(message, std::move(props), headers, exchange, std::move(first_key));
    out.message->set_extra_routing_keys(std::move(extra));
    return out;
}

}  // namespace warren::broker
