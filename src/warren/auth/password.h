#pragma once

#include <string>
#include <string_view>

namespace warren::auth {

/// RabbitMQ's default scheme (rabbit_password_hashing_sha256): base64 of a 4-byte salt
/// followed by SHA-256(salt ++ password). Definitions exported by RabbitMQ carry these.
std::string hash_password(std::string_view password);
bool check_password(std::string_view password, std::string_view stored_base64);

std::string base64_encode(std::string_view bytes);
/// Empty on malformed input.
std::string base64_decode(std::string_view text);

}  // namespace warren::auth
