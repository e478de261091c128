#include "warren/util/random_name.h"

#include <random>

namespace warren::util {

std::string random_name(std::string_view prefix) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static std::mt19937_64 rng{std::random_device{}()};
    std::string name(prefix);
    for (int i = 0; i < 22; ++i) name.push_back(kAlphabet[rng() & 63]);
    return name;
}

}  // namespace warren::util
