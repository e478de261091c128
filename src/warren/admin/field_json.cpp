#include "warren/admin/field_json.h"

#include <nlohmann/json.hpp>

namespace warren::admin {
namespace {

using nlohmann::json;

// rabbit_binary_parser's names for the field types.
const char* type_name(char tag) {
    switch (tag) {
    case 't': return "bool";
    case 'b': return "byte";
    case 'B': return "unsignedbyte";
    case 's': return "short";
    case 'u': return "unsignedshort";
    case 'I': return "signedint";
    case 'i': return "unsignedint";
    case 'l': return "long";
    case 'f': return "float";
    case 'd': return "double";
    case 'D': return "decimal";
    case 'S': return "longstr";
    case 'x': return "binary";
    case 'T': return "timestamp";
    case 'F': return "table";
    case 'A': return "array";
    default: return "void";
    }
}

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
            out.push_back(json::array({type_name(item.tag()), value_json(item)}));
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
        out.push_back(json::array({key, type_name(value.tag()), value_json(value)}));
    return out;
}

}  // namespace warren::admin
