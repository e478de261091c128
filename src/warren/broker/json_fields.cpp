#include "warren/broker/json_fields.h"

namespace warren::broker {

using nlohmann::json;

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

}  // namespace warren::broker
