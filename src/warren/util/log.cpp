#include "warren/util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace warren::util {
namespace {

spdlog::level::level_enum g_level = spdlog::level::info;

}  // namespace

spdlog::logger& logger(const char* area) {
    auto existing = spdlog::get(area);
    if (existing) return *existing;
    auto created = spdlog::stderr_color_mt(area);
    created->set_level(g_level);
    created->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %n: %v");
    return *created;
}

bool set_log_level(std::string_view level) {
    std::string name(level);
    if (name == "warn") name = "warning";
    if (name == "none") name = "off";
    auto parsed = spdlog::level::from_str(name);
    if (parsed == spdlog::level::off && name != "off") return false;
    g_level = parsed;
    spdlog::set_level(parsed);
    spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
    return true;
}

}  // namespace warren::util
