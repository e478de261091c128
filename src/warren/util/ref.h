#pragma once

#include <cstdint>
#include <utility>

namespace warren::util {

/// Base for objects shared by intrusive, non-atomic reference counts (one loop owns them).
class RefCounted {
public:
    RefCounted() = default;
    RefCounted(const RefCounted&) = delete;
    RefCounted& operator=(const RefCounted&) = delete;
    uint32_t ref_count() const { return refs_; }

protected:
    virtual ~RefCounted() = default;

private:
    template <class T>
    friend class Ref;
    uint32_t refs_ = 0;
};

/// An intrusive strong reference to a RefCounted object.
template <class T>
class Ref {
public:
    Ref() = default;
    Ref(T* p) : p_(p) { inc(); }
    Ref(const Ref& o) : p_(o.p_) { inc(); }
    Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    template <class U>
    Ref(const Ref<U>& o) : p_(o.get()) {
        inc();
    }
    Ref& operator=(Ref o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~Ref() { dec(); }

    template <class... Args>
    static Ref make(Args&&... args) {
        return Ref(new T(std::forward<Args>(args)...));
    }

    T* get() const { return p_; }
    T& operator*() const { return *p_; }
    T* operator->() const { return p_; }
    explicit operator bool() const { return p_ != nullptr; }
    friend bool operator==(const Ref& a, const Ref& b) { return a.p_ == b.p_; }

private:
    void inc() {
        if (p_) ++static_cast<RefCounted*>(p_)->refs_;
    }
    void dec() {
        if (p_ && --static_cast<RefCounted*>(p_)->refs_ == 0) delete static_cast<RefCounted*>(p_);
    }
    T* p_ = nullptr;
};

}  // namespace warren::util
