// Cache::open and the Cache handle: a thin front for the shared Store, which open objects
// keep alive after the handle is gone.
#include <memory>

#include "layout.hpp"
#include "netfs/cache/cache.hpp"
#include "store.hpp"

namespace netfs::cache {
namespace {

class CacheImpl final : public Cache {
public:
    explicit CacheImpl(std::shared_ptr<Store> store) : store_(std::move(store)) {}
    result<std::shared_ptr<Object>> open_object(const Key& key, const Coherency& now) override {
        return store_->open_object(key, now);
    }
    Stats stats() const override { return store_->stats(); }
    std::vector<EntryInfo> list() const override { return store_->list(); }
    result<size_t> clear() override { return store_->clear(); }
    std::error_code cull() override { return store_->cull(); }

private:
    // The store scans and culls even for const queries (stats and list look at the disk).
    std::shared_ptr<Store> store_;
};

}  // namespace

result<std::unique_ptr<Cache>> Cache::open(const std::string& dir, Options options) {
    if (dir.empty()) return fail(std::make_error_code(std::errc::invalid_argument));
    if (options.max_write == 0) options.max_write = Options{}.max_write;
    Layout layout(dir);
    if (auto ec = layout.create()) return fail(ec);
    return std::unique_ptr<Cache>(new CacheImpl(std::make_shared<Store>(std::move(layout), options)));
}

}  // namespace netfs::cache
