#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace warren::util {

/// Reference-counted immutable bytes: one allocation holds the count and the data, and
/// every queue or outbound frame a message reaches shares it instead of copying.
/// The count is not atomic: a SharedBytes belongs to one event loop; crossing loops
/// (later, shared-nothing scaling) will hand ownership over explicitly.
class SharedBytes {
public:
    SharedBytes() = default;
    /// Allocates `size` uninitialised bytes for the caller to fill through mutable_data()
    /// before sharing.
    static SharedBytes allocate(size_t size) {
        void* mem = ::operator new(sizeof(Block) + size);
        auto* b = new (mem) Block{1, size};
        return SharedBytes(b);
    }
    static SharedBytes copy_of(std::string_view s) {
        SharedBytes out = allocate(s.size());
        if (!s.empty()) std::memcpy(out.mutable_data(), s.data(), s.size());
        return out;
    }

    SharedBytes(const SharedBytes& o) : b_(o.b_) { ref(); }
    SharedBytes(SharedBytes&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
    SharedBytes& operator=(SharedBytes o) noexcept {
        std::swap(b_, o.b_);
        return *this;
    }
    ~SharedBytes() { unref(); }

    const uint8_t* data() const { return b_ ? b_->bytes() : nullptr; }
    uint8_t* mutable_data() { return b_->bytes(); }
    size_t size() const { return b_ ? b_->size : 0; }
    std::string_view view() const {
        return b_ ? std::string_view(reinterpret_cast<const char*>(b_->bytes()), b_->size)
                  : std::string_view();
    }
    uint32_t use_count() const { return b_ ? b_->refs : 0; }
    explicit operator bool() const { return b_ != nullptr; }

private:
    struct Block {
        uint32_t refs;
        size_t size;
        uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
    };
    explicit SharedBytes(Block* b) : b_(b) {}
    void ref() {
        if (b_) ++b_->refs;
    }
    void unref() {
        if (b_ && --b_->refs == 0) {
            b_->~Block();
            ::operator delete(b_);
        }
    }

    Block* b_ = nullptr;
};

}  // namespace warren::util
