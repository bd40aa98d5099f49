#include "lib9p/error.hpp"

namespace p9 {
namespace {

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "9p"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::truncated: return "9P message truncated: its fields run past the end of the frame";
            case errc::bad_size: return "9P message has an invalid size field";
            case errc::trailing_bytes: return "9P message has bytes after its last field";
            case errc::message_too_large: return "9P message larger than the negotiated msize";
            case errc::string_too_long: return "9P string longer than 65535 bytes";
            case errc::too_many_elements: return "9P walk with more than 16 elements";
            case errc::unknown_type: return "unknown 9P message type";
            case errc::invalid_name: return "invalid file name for 9P (empty, '.', '..' or containing '/')";
            case errc::unexpected_reply: return "server sent an unexpected 9P reply";
            case errc::version_mismatch: return "server does not speak 9P2000.L";
            case errc::msize_too_small: return "server's msize is too small to carry data";
            case errc::connection_closed: return "server closed the connection";
            case errc::not_connected: return "not connected to a 9P server";
            case errc::timed_out: return "9P request timed out";
            case errc::cancelled: return "9P request cancelled";
            case errc::short_transfer: return "server transferred fewer bytes than requested";
            case errc::protocol_violation: return "server violated the 9P protocol";
            case errc::endless_listing:
                return "the server's directory listing does not end (a repeated cookie, or more entries than any "
                       "directory holds)";
            case errc::auth_not_offered: return "the server does not ask for authentication (it refused Tauth)";
            case errc::auth_refused: return "authentication failed: the server refused the credential";
        }
        return "unknown 9P error " + std::to_string(ev);
    }

    std::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<errc>(ev)) {
            case errc::timed_out: return std::errc::timed_out;
            case errc::cancelled: return std::errc::operation_canceled;
            case errc::connection_closed: return std::errc::connection_reset;
            case errc::not_connected: return std::errc::not_connected;
            case errc::message_too_large: return std::errc::message_size;
            case errc::invalid_name: return std::errc::invalid_argument;
            case errc::string_too_long: return std::errc::filename_too_long;
            case errc::auth_refused: return std::errc::permission_denied;
            default: return {ev, *this};
        }
    }
};

}  // namespace

const std::error_category& category() noexcept {
    static const Category c;
    return c;
}

}  // namespace p9
