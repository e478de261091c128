#include "warren/config/size.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace warren::config {

bool parse_size(const std::string& text, uint64_t total, uint64_t& out) {
    if (text.empty()) return false;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || value < 0) return false;
    std::string unit(end);
    for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    double factor = 1;
    if (unit.empty() && value <= 1.0 && text.find('.') != std::string::npos) {
        out = static_cast<uint64_t>(value * static_cast<double>(total));  // a fraction of RAM
        return true;
    }
    if (unit == "" || unit == "B") factor = 1;
    else if (unit == "KB") factor = 1e3;
    else if (unit == "KIB" || unit == "K") factor = 1024;
    else if (unit == "MB") factor = 1e6;
    else if (unit == "MIB" || unit == "M") factor = 1024.0 * 1024;
    else if (unit == "GB") factor = 1e9;
    else if (unit == "GIB" || unit == "G") factor = 1024.0 * 1024 * 1024;
    else if (unit == "TB") factor = 1e12;
    else return false;
    out = static_cast<uint64_t>(value * factor);
    return true;
}

uint64_t resolve_size(const std::string& text, uint64_t total, const char* what) {
    uint64_t out = 0;
    if (!parse_size(text, total, out))
        throw std::runtime_error(std::string("invalid ") + what + " '" + text + "'");
    return out;
}

uint64_t total_memory_bytes() {
    return static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
           static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace warren::config
