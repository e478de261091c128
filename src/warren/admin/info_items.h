#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warren::admin {

/// How a column's JSON value prints in rabbitmqctl's table output (text_format.h).
enum class ValueKind {
    Scalar,      // string as is, number, true/false, null as empty
    FieldTable,  // [["key","type",value],...]  ->  [{"key",value},...]
    Tags,        // ["a","b"]  ->  [a, b]
    Tuple,       // [0,9,1]  ->  {0,9,1}
};

struct InfoItem {
    std::string_view name;
    ValueKind kind = ValueKind::Scalar;
};

/// The columns one list_* command knows, and those it shows when none are asked for
/// (as rabbitmqctl 3.10). Shared by warrenctl (argument checks, formatting) and the
/// broker (which computes them).
struct ListSpec {
    std::string_view command;
    std::span<const InfoItem> items;
    std::span<const std::string_view> defaults;
    bool takes_columns = true;  // list_users and list_*permissions take none
};

const ListSpec* find_list_spec(std::string_view command);
const InfoItem* find_item(const ListSpec& spec, std::string_view name);
/// The requested columns the command does not know, in order.
std::vector<std::string> unsupported_items(const ListSpec& spec,
                                           const std::vector<std::string>& requested);
/// `requested`, or the defaults when it is empty.
std::vector<std::string> effective_items(const ListSpec& spec,
                                         const std::vector<std::string>& requested);

}  // namespace warren::admin
