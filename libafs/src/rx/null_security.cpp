#include "libafs/rx/null_security.hpp"

namespace afs::rx {
namespace {

class NullConnectionSecurity final : public ConnectionSecurity {
public:
    size_t header_size() const override { return 0; }
    size_t max_user_data(size_t space) const override { return space; }

    result<size_t> seal(const PacketIdentity&, std::span<std::byte> area, size_t user_len,
                        uint16_t& checksum) override {
        if (user_len > area.size()) return fail(errc::too_large);
        checksum = 0;
        return user_len;
    }

    result<Span> unseal(const PacketIdentity&, std::span<std::byte> area, uint16_t) override {
        // OpenAFS ignores the checksum field at this level, and so do we.
        return Span{0, area.size()};
    }

    result<std::vector<std::byte>> respond(std::span<const std::byte>, const std::array<uint32_t, 4>&) override {
        return fail(errc::security_mismatch);  // nothing to prove: a challenge here is a mistake
    }
};

}  // namespace

std::unique_ptr<ConnectionSecurity> NullSecurityClass::new_connection(const ConnectionIdentity&) {
    return std::make_unique<NullConnectionSecurity>();
}

std::shared_ptr<SecurityClass> null_security() {
    static const auto instance = std::make_shared<NullSecurityClass>();
    return instance;
}

}  // namespace afs::rx
