#include "warren/config/config_file.h"

#include "warren/config/options.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace warren::config {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

/// cuttlefish's key syntax: dot-separated words of letters, digits, '_' and '-'.
bool is_valid_key(std::string_view key) {
    if (key.empty() || key.front() == '.' || key.back() == '.') return false;
    char prev = 0;
    for (char c : key) {
        bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        if (!word && !(c == '.' && prev != '.')) return false;
        prev = c;
    }
    return true;
}

}  // namespace

void parse_config_text(std::string_view text, const std::string& file_name, Config& config) {
    std::string errors;
    auto report = [&](size_t line, const std::string& problem) {
        errors += file_name + ":" + std::to_string(line) + ": " + problem + "\n";
    };
    size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        // A '#' starts a comment wherever it is, as in RabbitMQ (so values cannot hold one).
        line = trim(line.substr(0, line.find('#')));
        if (line.empty()) continue;
        size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            // The line is not repeated: it may be a mistyped password.
            report(line_no, "expected 'key = value'");
            continue;
        }
        std::string_view key = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (!is_valid_key(key)) {
            report(line_no, "invalid key '" + std::string(key) + "'");
            continue;
        }
        if (value.empty()) {
            report(line_no, "missing value for '" + std::string(key) + "'");
            continue;
        }
        try {
            apply_config_key(config, key, value);
        } catch (const std::invalid_argument& e) {
            report(line_no, e.what());
        }
    }
    if (!errors.empty()) {
        errors.pop_back();
        throw std::runtime_error(errors);
    }
}

void load_config_file(const std::string& path, Config& config) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read config file '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw std::runtime_error("cannot read config file '" + path + "'");
    parse_config_text(text.str(), path, config);
}

}  // namespace warren::config
