// MUNGE credentials for 9P authentication, as diod requires by default (target
// netcp::9p_munge, linked with libmunge).
//
// A credential is asked of the local munged over its unix socket; it carries the uid and
// gid of this process and is decoded by the server's munged, which must share the key.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "lib9p/auth.hpp"

namespace p9 {

// munge_err_t values (EMUNGE_SOCKET: munged unreachable, ...), with libmunge's messages.
const std::error_category& munge_category() noexcept;

class MungeAuthenticator final : public Authenticator {
public:
    // `socket`: munged's socket; empty for libmunge's default.
    explicit MungeAuthenticator(std::string socket = {});

    uint32_t uid() const override;
    result<std::string> credential() override;

    // The socket credentials are asked on (the default spelled out when none was given).
    const std::string& socket() const { return socket_; }
    // libmunge's description of the last failure ("Failed to connect to ...: No such file
    // or directory (Did you start munged?)"), empty if none.
    const std::string& last_error_detail() const { return detail_; }

    static constexpr std::string_view default_socket = "/run/munge/munge.socket.2";

private:
    std::string socket_;
    std::string detail_;
};

}  // namespace p9
