#include "afs_setup.hpp"

#include <chrono>
#include <filesystem>

#include "exit_codes.hpp"
#include "libafs/crypto/keyfile.hpp"
#include "libafs/crypto/token.hpp"

namespace netcp {

namespace {

// Where OpenAFS clients keep the cell list (Debian's packages, then the Transarc layout).
constexpr const char* system_cellservdbs[] = {"/etc/openafs/CellServDB", "/usr/vice/etc/CellServDB"};

// Tickets outlive any copy netcp makes; a ticket cannot say more than 30 days.
constexpr std::chrono::hours ticket_lifetime{24};

tl::expected<afs::client::CellConfig, Failure> find_cell(const Options& o, const std::string& cell,
                                                         std::string& source) {
    if (!o.vlserver.empty()) {
        source = "--vlserver " + o.vlserver;
        auto c = afs::client::make_cell(cell, {o.vlserver});
        if (!c)
            return tl::unexpected(Failure{exit_usage, "bad VL server address '" + o.vlserver + "' (--vlserver or "
                                                      "NETCP_VLSERVER): write HOST[:PORT], e.g. 192.0.2.7:7003"});
        return *c;
    }
    std::string file = o.cellservdb;
    if (file.empty()) {
        for (const char* f : system_cellservdbs)
            if (std::filesystem::exists(f)) {
                file = f;
                break;
            }
    }
    if (file.empty())
        return tl::unexpected(Failure{exit_connection, "no VL server known for cell '" + cell +
                                                           "': give --vlserver HOST[:PORT] (or NETCP_VLSERVER) or "
                                                           "--cellservdb FILE"});
    source = "CellServDB " + file;
    auto cells = afs::client::load_cellservdb(file);
    if (!cells)
        return tl::unexpected(Failure{exit_connection, "cannot read the CellServDB '" + file + "': " +
                                                           cells.error().message()});
    for (auto& c : *cells) {
        if (c.name != cell) continue;
        if (c.vl_servers.empty())
            return tl::unexpected(Failure{exit_connection, "cell '" + cell + "' has no VL server in " + file});
        return c;
    }
    return tl::unexpected(Failure{exit_connection, "cell '" + cell + "' is not in the CellServDB " + file +
                                                       " (or give its VL server with --vlserver)"});
}

afs::crypto::Level level_of(Options::Security s) {
    switch (s) {
        case Options::Security::clear: return afs::crypto::Level::clear;
        case Options::Security::auth: return afs::crypto::Level::auth;
        case Options::Security::crypt: break;
    }
    return afs::crypto::Level::crypt;
}

}  // namespace

tl::expected<AfsSetup, Failure> afs_setup(const Options& o, const std::string& cell) {
    AfsSetup s;
    auto c = find_cell(o, cell, s.vl_source);
    if (!c) return tl::unexpected(c.error());
    s.cell = std::move(*c);
    if (o.localauth_keyfile.empty()) {
        s.keys.push_back(afs::client::anonymous());  // rxnull: system:anyuser's rights
        return s;
    }
    auto keyfile = afs::crypto::KeyFile::load(o.localauth_keyfile);
    if (!keyfile)
        return tl::unexpected(Failure{exit_usage, "cannot read the KeyFile '" + o.localauth_keyfile +
                                                      "' (--localauth): " + keyfile.error().message()});
    const auto level = level_of(o.security);
    if (o.users.empty()) {
        // As OpenAFS's -localauth: the cell's superuser "afs".
        auto t = afs::crypto::mint_localauth_token(*keyfile);
        if (!t)
            return tl::unexpected(Failure{exit_usage, "cannot mint a ticket from the KeyFile '" + o.localauth_keyfile +
                                                          "': " + t.error().message()});
        s.keys.push_back(afs::client::rxkad(*t, level));
        return s;
    }
    for (const auto& user : o.users) {
        auto t = afs::crypto::mint_token(*keyfile, afs::crypto::Principal(user), ticket_lifetime);
        if (!t)
            return tl::unexpected(Failure{exit_usage, "cannot mint a ticket for user '" + user + "' from the KeyFile '" +
                                                          o.localauth_keyfile + "': " + t.error().message()});
        s.keys.push_back(afs::client::rxkad(*t, level));
    }
    return s;
}

}  // namespace netcp
