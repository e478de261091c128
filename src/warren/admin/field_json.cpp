#include "warren/admin/field_json.h"

#include "warren/broker/queue_settings.h"

#include <nlohmann/json.hpp>

namespace warren::admin {
namespace {

using nlohmann::json;

json value_json(const amqp::FieldValue& v) {
    int64_t i = 0;
    if (v.as_int(i)) return i;
    if (const auto* b = v.get_if<bool>()) return *b;
    if (const auto* s = v.string()) return *s;
    if (const auto* f = v.get_if<float>()) return *f;
    if (const auto* d = v.get_if<double>()) return *d;
    if (const auto* t = v.table()) return field_table_json(*t);
    if (const auto* a = v.array()) {
        json out = json::array();
        for (const auto& item : *a)
            out.push_back(json::array({std::string(broker::amqp_type_name(item)), value_json(item)}));
        return out;
    }
    if (const auto* x = v.get_if<amqp::ByteArray>()) return x->bytes;
    if (const auto* ts = v.get_if<amqp::Timestamp>()) return ts->seconds;
    if (const auto* dec = v.get_if<amqp::Decimal>()) return json::array({dec->scale, dec->value});
    return nullptr;
}

}  // namespace

json field_table_json(const amqp::FieldTable& table) {
    json out = json::array();
    for (const auto& [key, value] : table.entries())
        out.push_back(json::array({key, std::string(broker::amqp_type_name(value)), value_json(value)}));
    return out;
}

}  // namespace warren::admin
