#pragma once

#include "warren/admin/info_items.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace warren::admin {

/// One value as rabbitmqctl 3.10's table formatter prints it: strings bare, booleans
/// true/false, field tables [{"x-message-ttl",1000},{"x-dead-letter-exchange","dlx"}],
/// tags [administrator, monitoring], tuples {0,9,1}.
std::string format_value(const nlohmann::json& value, ValueKind kind);

/// A field table's JSON form (an array of [key, type, value]) in rabbitmqctl's table form.
std::string format_field_table(const nlohmann::json& triples);

/// Rows (arrays of values, in `columns` order) as tab-separated lines, with a header line
/// of the column names when `header` is set and there is at least one row.
std::string format_table(const ListSpec& spec, const std::vector<std::string>& columns,
                         const nlohmann::json& rows, bool header);

/// Rows as `--formatter json` prints them: "[\n{...}\n,{...}\n]\n", one object a line
/// with the columns as keys, in order.
std::string format_json_rows(const std::vector<std::string>& columns, const nlohmann::json& rows);

}  // namespace warren::admin
