#include "netfs/error.hpp"

#include <string>

namespace netfs {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "netfs"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::no_progress: return "the server accepted no data after repeated retries";
            case errc::too_many_retries: return "a write was retried too many times";
            case errc::short_write: return "the server reported more data written than was sent";
            case errc::stream_unavailable: return "the upload could not be started";
            case errc::retry: return "the write must be retried";
            case errc::cancelled: return "the write was cancelled";
            case errc::cache_not_private:
                return "the cache directory belongs to another user or can be written by group or others";
            case errc::remote_changed:
                return "the file is shorter on the server than when the read began: it changed during the read";
        }
        return "unknown netfs error " + std::to_string(ev);
    }
};

}  // namespace

const std::error_category& category() noexcept {
    static const Category c;
    return c;
}

}  // namespace netfs
