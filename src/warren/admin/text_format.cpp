#include "warren/admin/text_format.h"

#include <nlohmann/json.hpp>

namespace warren::admin {
namespace {

using nlohmann::json;

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

std::string scalar_text(const json& v) {
    if (v.is_null()) return "";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return v.dump();
}

/// A value inside a field table: strings quoted, nested tables and arrays recursively.
std::string table_value_text(const std::string& type, const json& v) {
    if (type == "table") return format_field_table(v);
    if (type == "array") {
        std::string out = "[";
        bool first = true;
        for (const auto& item : v) {
            if (!first) out.push_back(',');
            first = false;
            if (item.is_array() && item.size() == 2 && item[0].is_string())
                out += table_value_text(item[0].get<std::string>(), item[1]);
            else
                out += item.dump();
        }
        return out + "]";
    }
    if (type == "void" || v.is_null()) return "undefined";
    if (v.is_string()) return quoted(v.get<std::string>());
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return v.dump();
}

}  // namespace

std::string format_field_table(const json& triples) {
    if (!triples.is_array()) return scalar_text(triples);
    std::string out = "[";
    bool first = true;
    for (const auto& t : triples) {
        if (!t.is_array() || t.size() != 3 || !t[0].is_string() || !t[1].is_string()) continue;
        if (!first) out.push_back(',');
        first = false;
        out += "{" + quoted(t[0].get<std::string>()) + "," +
               table_value_text(t[1].get<std::string>(), t[2]) + "}";
    }
    return out + "]";
}

std::string format_value(const json& value, ValueKind kind) {
    switch (kind) {
    case ValueKind::FieldTable: return format_field_table(value);
    case ValueKind::Tags: {
        if (!value.is_array()) return scalar_text(value);
        std::string out = "[";
        for (size_t i = 0; i < value.size(); ++i) {
            if (i) out += ", ";
            out += scalar_text(value[i]);
        }
        return out + "]";
    }
    case ValueKind::Tuple: {
        if (!value.is_array()) return scalar_text(value);
        std::string out = "{";
        for (size_t i = 0; i < value.size(); ++i) {
            if (i) out += ",";
            out += scalar_text(value[i]);
        }
        return out + "}";
    }
    case ValueKind::Scalar: break;
    }
    return scalar_text(value);
}

std::string format_table(const ListSpec& spec, const std::vector<std::string>& columns,
                         const json& rows, bool header) {
    std::string out;
    if (!rows.is_array() || rows.empty()) return out;
    if (header) {
        for (size_t i = 0; i < columns.size(); ++i) {
            if (i) out.push_back('\t');
            out += columns[i];
        }
        out.push_back('\n');
    }
    for (const auto& row : rows) {
        for (size_t i = 0; i < columns.size(); ++i) {
            if (i) out.push_back('\t');
            const InfoItem* item = find_item(spec, columns[i]);
            json v = i < row.size() ? row[i] : json();
            out += format_value(v, item ? item->kind : ValueKind::Scalar);
        }
        out.push_back('\n');
    }
    return out;
}

std::string format_json_rows(const std::vector<std::string>& columns, const json& rows) {
    std::string out = "[\n";
    bool first = true;
    if (rows.is_array()) {
        for (const auto& row : rows) {
            out += first ? "{" : ",{";
            for (size_t i = 0; i < columns.size(); ++i) {
                if (i) out.push_back(',');
                out += json(columns[i]).dump() + ":" + (i < row.size() ? row[i] : json()).dump();
            }
            out += "}\n";
            first = false;
        }
    }
    return out + "]\n";
}

}  // namespace warren::admin
