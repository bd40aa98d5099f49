// The OpenAFS test cell the AFS integration tests run against, as the CTest fixture
// (afs-cell-fixture.sh, running fixtures/openafs/cell.sh) started it: its env file, clients
// configured for it, identities minted from its KeyFile, and OpenAFS's own tools.
//
// If the cell is not running, AfsCell::get() exits the test process with 77 (skipped) and
// says why: the fixture writes the reason when the servers cannot run on this machine.
// NETCP_AFS_ENV names another env file (a cell started by hand).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "libafs/client/blocking.hpp"
#include "libafs/crypto/keyfile.hpp"
#include "libafs/crypto/rxkad.hpp"
#include "test_util.hpp"

namespace afstest {

class AfsCell {
public:
    // The running cell; exits 77 with a message if there is none.
    static const AfsCell& get();

    // A value of the env file; fails the test if it is missing.
    const std::string& operator[](const std::string& key) const;

    std::string cell;            // test.afs
    uint32_t test_volume_id = 0;
    std::string test_dir, pub_dir, pub_file, pub_text, anon_rw_dir, bob_only_dir, bob_only_file, admin_only_dir;
    std::string state_dir;

    afs::client::ClientOptions options() const;
    std::unique_ptr<afs::client::BlockingClient> client() const { return client(options()); }
    std::unique_ptr<afs::client::BlockingClient> client(afs::client::ClientOptions options) const;

    // rxkad as `user` at `level`, with a token minted from the cell's KeyFile.
    afs::client::Identity user(const std::string& name, afs::crypto::Level level) const;
    afs::crypto::Token token(const std::string& name) const;
    const afs::crypto::KeyFile& keys() const { return keys_; }

    // A name no other test (or earlier run) uses: "PREFIX-PID-N-TIME".
    static std::string unique_name(std::string_view prefix);

    // OpenAFS's tools: afsio with the cell's krb5.conf (anonymous), vos with -localauth.
    testutil::CommandResult afsio(const std::string& args) const;
    testutil::CommandResult vos(const std::string& args) const;

private:
    std::map<std::string, std::string> env_;
    afs::crypto::KeyFile keys_;
};

std::span<const std::byte> as_bytes(std::string_view s);

}  // namespace afstest
