#include "warren/admin/protocol.h"

#include <unistd.h>

namespace warren::admin {

std::string socket_path(std::string_view data_dir) {
    std::string path(data_dir);
    if (path.empty()) path = ".";
    if (path.back() != '/') path.push_back('/');
    path.append(kSocketName);
    return path;
}

std::string local_node_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) return "warren@localhost";
    std::string name(host);
    if (auto dot = name.find('.'); dot != std::string::npos) name.resize(dot);
    return "warren@" + (name.empty() ? std::string("localhost") : name);
}

}  // namespace warren::admin
