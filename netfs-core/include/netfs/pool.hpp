// Object pools that guarantee forward progress for writeback.
//
// Writeback is how memory gets freed, so its bookkeeping must not depend on allocation
// succeeding. A pool hands out objects from its free list, grows through an allocator
// that may fail, and keeps `reserve` objects, preallocated when the pool is made, that
// only privileged users (writeback and retry) may take once growth fails. When nothing is
// left an acquire waits for a release instead of failing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <new>
#include <vector>

namespace netfs {

enum class Priority { normal, writeback };

// The allocator a pool grows with. Returns nullptr on failure (tests inject failures).
struct PoolAllocator {
    std::function<void*(size_t)> allocate = [](size_t n) { return ::operator new(n, std::nothrow); };
    std::function<void(void*)> deallocate = [](void* p) { ::operator delete(p); };
};

template <class T>
class ObjectPool {
public:
    struct Stats {
        size_t in_use = 0, free = 0, grown = 0, reserve_taken = 0, waits = 0, failed_growths = 0;
    };

    ObjectPool(size_t reserve, PoolAllocator allocator = {}) : allocator_(std::move(allocator)) {
        // The reserve is allocated here with the default allocator: it must exist before
        // allocation can start failing.
        free_.reserve(reserve + 64);
        for (size_t i = 0; i < reserve; ++i) free_.push_back(static_cast<T*>(::operator new(sizeof(T))));
        reserve_size_ = reserve;
        owned_.reserve(reserve + 1024);
        for (T* p : free_) owned_.push_back({p, true});
    }
    ~ObjectPool() {
        for (auto& o : owned_) {
            if (o.from_default) ::operator delete(o.p);
            else allocator_.deallocate(o.p);
        }
    }
    ObjectPool(const ObjectPool&) = delete;
    ObjectPool& operator=(const ObjectPool&) = delete;

    // Constructs a T in pooled memory. Never fails: it waits if it must.
    template <class... Args>
    T* acquire(Priority prio, Args&&... args) {
        void* mem = acquire_raw(prio, /*may_wait=*/true);
        return new (mem) T(std::forward<Args>(args)...);
    }
    // As acquire, but returns nullptr instead of waiting.
    template <class... Args>
    T* try_acquire(Priority prio, Args&&... args) {
        void* mem = acquire_raw(prio, /*may_wait=*/false);
        return mem ? new (mem) T(std::forward<Args>(args)...) : nullptr;
    }

    void release(T* obj) {
        obj->~T();
        {
            std::lock_guard lock(mutex_);
            free_.push_back(obj);  // capacity was reserved for every object we own
            --in_use_;
            // Notified under the lock: a wait_idle() caller may destroy the pool as soon
            // as it sees in_use_ reach zero, and must not find us still inside notify.
            if (in_use_ == 0) idle_cv_.notify_all();
            cv_.notify_one();
        }
    }

    // Waits until every acquired object has been released: an owner about to be
    // destroyed uses it so that a release still running on another thread finishes first.
    void wait_idle() {
        std::unique_lock lock(mutex_);
        idle_cv_.wait(lock, [&] { return in_use_ == 0; });
    }

    Stats stats() const {
        std::lock_guard lock(mutex_);
        return {in_use_, free_.size(), grown_, reserve_taken_, waits_, failed_growths_};
    }

private:
    struct Owned {
        T* p;
        bool from_default;
    };

    void* acquire_raw(Priority prio, bool may_wait) {
        std::unique_lock lock(mutex_);
        for (;;) {
            // Ordinary users leave the reserve alone.
            const size_t usable = prio == Priority::writeback ? free_.size()
                                  : free_.size() > reserve_size_ ? free_.size() - reserve_size_
                                                                 : 0;
            if (usable > 0) {
                if (free_.size() <= reserve_size_) ++reserve_taken_;
                T* p = free_.back();
                free_.pop_back();
                ++in_use_;
                return p;
            }
            if (void* p = grow_locked()) {
                ++in_use_;
                return p;
            }
            if (!may_wait) return nullptr;
            ++waits_;
            cv_.wait(lock);
        }
    }

    // Growing needs room in the bookkeeping vectors too; if that room cannot be had
    // the growth fails like the allocation itself.
    void* grow_locked() {
        if (owned_.size() == owned_.capacity() || free_.capacity() < owned_.size() + 1) {
            try {
                owned_.reserve(owned_.size() * 2 + 16);
                free_.reserve(owned_.capacity());
            } catch (const std::bad_alloc&) {
                ++failed_growths_;
                return nullptr;
            }
        }
        void* p = nullptr;
        try {
            p = allocator_.allocate(sizeof(T));
        } catch (const std::bad_alloc&) {
            p = nullptr;
        }
        if (!p) {
            ++failed_growths_;
            return nullptr;
        }
        owned_.push_back({static_cast<T*>(p), false});
        ++grown_;
        return p;
    }

    PoolAllocator allocator_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::vector<T*> free_;
    std::vector<Owned> owned_;
    size_t reserve_size_ = 0;
    size_t in_use_ = 0, grown_ = 0, reserve_taken_ = 0, waits_ = 0, failed_growths_ = 0;
};

}  // namespace netfs
