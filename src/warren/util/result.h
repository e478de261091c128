#pragma once

#include <type_traits>
#include <utility>
#include <variant>

namespace warren::util {

/// Holds a value or an error; the accessor names follow std::expected (C++23), which
/// g++ 12 lacks, so the switch later is mechanical.
template <class T, class E>
class Result {
public:
    Result()
        requires std::is_default_constructible_v<T>
        : v_(std::in_place_index<0>) {}
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    E& error() { return std::get<1>(v_); }
    const E& error() const { return std::get<1>(v_); }

private:
    std::variant<T, E> v_;
};

struct Unit {};

}  // namespace warren::util
