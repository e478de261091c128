#include "warren/config/byte_size.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace warren::config {
namespace {

/// Parses the leading decimal of `text` ("12", "0.4", "1.5"); `rest` gets what follows.
std::optional<double> leading_decimal(std::string_view text, std::string_view& rest) {
    size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    size_t int_digits = i;
    size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            ++i;
            ++frac_digits;
        }
    }
    if (int_digits == 0 && frac_digits == 0) return std::nullopt;
    double value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + i, value);
    if (ec != std::errc() || p != text.data() + i || !std::isfinite(value)) return std::nullopt;
    rest = text.substr(i);
    return value;
}

}  // namespace

std::optional<uint64_t> parse_byte_size(std::string_view text) {
    std::string_view unit_text;
    auto value = leading_decimal(text, unit_text);
    if (!value) return std::nullopt;
    std::string unit(unit_text);
    for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    double factor;
    if (unit.empty() || unit == "b") factor = 1;
    else if (unit == "kb") factor = 1e3;
    else if (unit == "mb") factor = 1e6;
    else if (unit == "gb") factor = 1e9;
    else if (unit == "tb") factor = 1e12;
    else if (unit == "k" || unit == "kib") factor = 1024.0;
    else if (unit == "m" || unit == "mib") factor = 1024.0 * 1024;
    else if (unit == "g" || unit == "gib") factor = 1024.0 * 1024 * 1024;
    else if (unit == "t" || unit == "tib") factor = 1024.0 * 1024 * 1024 * 1024;
    else return std::nullopt;
    double bytes = *value * factor;
    if (bytes >= 18446744073709551615.0) return std::nullopt;
    return static_cast<uint64_t>(bytes);
}

std::optional<double> parse_ratio(std::string_view text) {
    std::string_view rest;
    auto value = leading_decimal(text, rest);
    if (!value || !rest.empty()) return std::nullopt;
    return value;
}

bool parse_size(const std::string& text, uint64_t total, uint64_t& out) {
    if (text.find('.') != std::string::npos) {
        if (auto ratio = parse_ratio(text)) {
            out = static_cast<uint64_t>(*ratio * static_cast<double>(total));
            return true;
        }
    }
    auto bytes = parse_byte_size(text);
    out = bytes.value_or(0);
    return bytes.has_value();
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
