#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace warren::auth {

enum class Access { Configure, Write, Read };

struct User {
    std::string name;
    std::string password_hash;  // base64, rabbit_password_hashing_sha256
    std::vector<std::string> tags;
};

/// configure/write/read regexes of one user on one vhost, as RabbitMQ's set_permissions.
struct Permission {
    std::string configure, write, read;
    std::regex configure_re, write_re, read_re;
};

/// Users, vhost names and permissions: who may log in, where, and do what.
class UserDb {
public:
    /// Adds or replaces a user; `password_hash` already hashed.
    void put_user(User user);
    bool delete_user(std::string_view name);
    const User* find_user(std::string_view name) const;
    /// Every user, by name.
    std::vector<User> all_users() const;
    /// The user if the password checks out.
    const User* authenticate(std::string_view name, std::string_view password) const;

    void add_vhost(std::string name);
    /// Forgets a vhost and every permission on it; false if there was no such vhost.
    bool remove_vhost(std::string_view name);
    bool has_vhost(std::string_view name) const;
    const std::vector<std::string>& vhosts() const { return vhosts_; }

    /// Sets permissions; false (and nothing set) if a regex does not compile.
    bool set_permissions(std::string_view user, std::string_view vhost, std::string configure,
                         std::string write, std::string read);
    const Permission* permissions(std::string_view user, std::string_view vhost) const;
    /// Revokes a user's permissions on a vhost; false if there were none.
    bool clear_permissions(std::string_view user, std::string_view vhost);
    /// RabbitMQ's rule: an empty pattern grants nothing, otherwise an unanchored match.
    bool allowed(std::string_view user, std::string_view vhost, Access access,
                 std::string_view resource) const;

    /// Users allowed to log in only from loopback (RabbitMQ's loopback_users).
    void set_loopback_users(std::vector<std::string> users) { loopback_users_ = std::move(users); }
    bool is_loopback_only(std::string_view user) const;

private:
    std::unordered_map<std::string, User> users_;
    std::vector<std::string> vhosts_;
    std::unordered_map<std::string, Permission> permissions_;  // key: user '\0' vhost
    std::vector<std::string> loopback_users_{"guest"};
};

}  // namespace warren::auth
