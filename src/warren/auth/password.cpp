#include "warren/auth/password.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdint>

namespace warren::auth {
namespace {

std::string sha256(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return std::string(reinterpret_cast<char*>(out), sizeof out);
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return {};
    std::string out(3 * text.size() / 4 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) return {};
    size_t len = static_cast<size_t>(n);
    // EVP_DecodeBlock counts padding as zero bytes.
    if (!text.empty() && text.back() == '=') --len;
    if (text.size() > 1 && text[text.size() - 2] == '=') --len;
    out.resize(len);
    return out;
}

std::string hash_password(std::string_view password) {
    unsigned char salt[4];
    RAND_bytes(salt, sizeof salt);
    std::string salted(reinterpret_cast<char*>(salt), sizeof salt);
    return base64_encode(salted + sha256(salted + std::string(password)));
}

bool check_password(std::string_view password, std::string_view stored_base64) {
    std::string stored = base64_decode(stored_base64);
    if (stored.size() != 4 + SHA256_DIGEST_LENGTH) return false;
    std::string salt = stored.substr(0, 4);
    std::string expect = salt + sha256(salt + std::string(password));
    return CRYPTO_memcmp(expect.data(), stored.data(), stored.size()) == 0;
}

}  // namespace warren::auth
