#include "warren/auth/user_db.h"

#include "warren/auth/password.h"

#include <algorithm>

namespace warren::auth {
namespace {

std::string key_of(std::string_view user, std::string_view vhost) {
    std::string k(user);
    k.push_back('\0');
    k.append(vhost);
    return k;
}

bool compile(const std::string& pattern, std::regex& out) {
    try {
        out = std::regex(pattern, std::regex::ECMAScript);
        return true;
    } catch (const std::regex_error&) {
        return false;
    }
}

}  // namespace

void UserDb::put_user(User user) {
    std::string name = user.name;
    users_[name] = std::move(user);
}

bool UserDb::delete_user(std::string_view name) {
    auto it = users_.find(std::string(name));
    if (it == users_.end()) return false;
    users_.erase(it);
    std::string prefix = std::string(name) + '\0';
    for (auto p = permissions_.begin(); p != permissions_.end();) {
        if (p->first.starts_with(prefix))
            p = permissions_.erase(p);
        else
            ++p;
    }
    return true;
}

const User* UserDb::find_user(std::string_view name) const {
    auto it = users_.find(std::string(name));
    return it == users_.end() ? nullptr : &it->second;
}

std::vector<User> UserDb::all_users() const {
    std::vector<User> out;
    for (const auto& [name, u] : users_) out.push_back(u);
    std::sort(out.begin(), out.end(), [](const User& a, const User& b) { return a.name < b.name; });
    return out;
}

const User* UserDb::authenticate(std::string_view name, std::string_view password) const {
    const User* u = find_user(name);
    if (!u || u->password_hash.empty() || !check_password(password, u->password_hash))
        return nullptr;
    return u;
}

void UserDb::add_vhost(std::string name) {
    if (!has_vhost(name)) vhosts_.push_back(std::move(name));
}

bool UserDb::remove_vhost(std::string_view name) {
    auto it = std::find(vhosts_.begin(), vhosts_.end(), name);
    if (it == vhosts_.end()) return false;
    vhosts_.erase(it);
    std::string suffix = '\0' + std::string(name);
    for (auto p = permissions_.begin(); p != permissions_.end();) {
        if (p->first.ends_with(suffix) && p->first.find('\0') + suffix.size() == p->first.size())
            p = permissions_.erase(p);
        else
            ++p;
    }
    return true;
}

bool UserDb::clear_permissions(std::string_view user, std::string_view vhost) {
    return permissions_.erase(key_of(user, vhost)) > 0;
}

bool UserDb::has_vhost(std::string_view name) const {
    return std::find(vhosts_.begin(), vhosts_.end(), name) != vhosts_.end();
}

bool UserDb::set_permissions(std::string_view user, std::string_view vhost, std::string configure,
                             std::string write, std::string read) {
    Permission p;
    if (!compile(configure, p.configure_re) || !compile(write, p.write_re) ||
        !compile(read, p.read_re))
        return false;
    p.configure = std::move(configure);
    p.write = std::move(write);
    p.read = std::move(read);
    permissions_[key_of(user, vhost)] = std::move(p);
    return true;
}

const Permission* UserDb::permissions(std::string_view user, std::string_view vhost) const {
    auto it = permissions_.find(key_of(user, vhost));
    return it == permissions_.end() ? nullptr : &it->second;
}

bool UserDb::allowed(std::string_view user, std::string_view vhost, Access access,
                     std::string_view resource) const {
    const Permission* p = permissions(user, vhost);
    if (!p) return false;
    const std::string& pattern = access == Access::Configure ? p->configure
                                 : access == Access::Write   ? p->write
                                                             : p->read;
    if (pattern.empty()) return false;
    if (pattern == ".*") return true;
    const std::regex& re = access == Access::Configure ? p->configure_re
                           : access == Access::Write   ? p->write_re
                                                       : p->read_re;
    return std::regex_search(resource.begin(), resource.end(), re);
}

bool UserDb::is_loopback_only(std::string_view user) const {
    return std::find(loopback_users_.begin(), loopback_users_.end(), user) !=
           loopback_users_.end();
}

}  // namespace warren::auth
