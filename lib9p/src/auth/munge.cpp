#include "lib9p/munge.hpp"

#include <munge.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

namespace p9 {
namespace {

class MungeCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "munge"; }
    std::string message(int ev) const override {
        if (ev == EMUNGE_SOCKET) return "munged is not running, or its socket cannot be reached";
        return munge_strerror(static_cast<munge_err_t>(ev));
    }
};

struct CtxDeleter {
    void operator()(munge_ctx_t c) const { munge_ctx_destroy(c); }
};

}  // namespace

const std::error_category& munge_category() noexcept {
    static const MungeCategory c;
    return c;
}

MungeAuthenticator::MungeAuthenticator(std::string socket)
    : socket_(socket.empty() ? std::string(default_socket) : std::move(socket)) {}

// munged reads the requesting process's credentials from the socket (SO_PEERCRED).
uint32_t MungeAuthenticator::uid() const { return static_cast<uint32_t>(::getuid()); }

result<std::string> MungeAuthenticator::credential() {
    detail_.clear();
    std::unique_ptr<std::remove_pointer_t<munge_ctx_t>, CtxDeleter> ctx(munge_ctx_create());
    if (!ctx) return fail(std::make_error_code(std::errc::not_enough_memory));
    if (munge_ctx_set(ctx.get(), MUNGE_OPT_SOCKET, socket_.c_str()) != EMUNGE_SUCCESS) {
        if (const char* d = munge_ctx_strerror(ctx.get())) detail_ = d;
        return fail(std::error_code(EMUNGE_BAD_ARG, munge_category()));
    }
    char* cred = nullptr;
    const munge_err_t e = munge_encode(&cred, ctx.get(), nullptr, 0);
    if (e != EMUNGE_SUCCESS) {
        if (const char* d = munge_ctx_strerror(ctx.get())) detail_ = d;
        std::free(cred);
        return fail(std::error_code(e, munge_category()));
    }
    std::string out(cred);
    std::free(cred);
    return out;
}

}  // namespace p9
