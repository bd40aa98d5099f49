#include "afs_setup.hpp"

#include <chrono>
#include <optional>
#include <filesystem>

#include "exit_codes.hpp"
#include "libafs/crypto/keyfile.hpp"
#include "libafs/crypto/token.hpp"
#include "libafs/krb5/service_ticket.hpp"

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

std::string AfsSetup::refusal_hint(uint32_t now) const {
    std::string hint;
    auto add = [&](const std::string& s) { hint += (hint.empty() ? "" : "; ") + s; };
    for (const auto& k : kerberos) {
        if (k.end > now) continue;
        add("the Kerberos ticket of " + k.client + " expired at " + afs::krb5::utc_time(k.end) +
            (k.from_cache ? ": run kinit " + k.client + " and copy again" : ""));
    }
    if (!anonymous_because.empty() && keys.size() == 1)
        add("netcp spoke anonymously (system:anyuser): " + anonymous_because);
    return hint;
}

afs::client::Identity AfsSetup::renew(size_t k, uint32_t now) {
    constexpr uint32_t margin = 60;  // a ticket this close to its end is as good as ended
    for (auto& kk : kerberos) {
        if (kk.key != k) continue;
        if (kk.end > now + margin) return nullptr;  // still valid: the refusal was the ACL's
        auto cred = afs::krb5::get_credential(kk.source, krb5_request);
        if (!cred || cred->token.end() <= kk.end || cred->token.expired()) return nullptr;
        kk.end = cred->token.end();
        keys[k] = afs::client::rxkad(cred->token, level);
        return keys[k];
    }
    return nullptr;
}

tl::expected<AfsSetup, Failure> afs_setup(const Options& o, const std::string& cell) {
    AfsSetup s;
    if (o.auth == Options::Auth::munge)
        return tl::unexpected(Failure{exit_usage, "--auth munge is for 9P servers; an AFS cell takes Kerberos 5 "
                                                  "(--auth krb5, or auto) or anonymous access (--auth none)"});
    auto c = find_cell(o, cell, s.vl_source);
    if (!c) return tl::unexpected(c.error());
    s.cell = std::move(*c);
    const auto level = level_of(o.security);
    s.level = level;
    if (o.auth == Options::Auth::none) {
        s.keys.push_back(afs::client::anonymous());  // rxnull: system:anyuser's rights
        return s;
    }
    const afs::krb5::Request request{cell, o.realm};
    s.krb5_request = request;
    auto add_kerberos = [&](const afs::krb5::Source& source) -> std::optional<Failure> {
        auto cred = afs::krb5::get_credential(source, request);
        if (!cred) return Failure{exit_connection, "cannot authenticate to the cell " + cell + ": " + cred.error().message};
        s.kerberos.push_back(
            {s.keys.size(), cred->client, cred->token.end(), source.kind == afs::krb5::Source::Kind::ccache, source});
        s.keys.push_back(afs::client::rxkad(cred->token, level));
        return std::nullopt;
    };

    if (!o.afs_identities.empty() || !o.localauth_keyfile.empty()) {
        std::optional<afs::crypto::KeyFile> keyfile;
        if (!o.localauth_keyfile.empty()) {
            auto k = afs::crypto::KeyFile::load(o.localauth_keyfile);
            if (!k)
                return tl::unexpected(Failure{exit_usage, "cannot read the KeyFile '" + o.localauth_keyfile +
                                                              "' (--localauth): " + k.error().message()});
            keyfile = std::move(*k);
        }
        for (const auto& id : o.afs_identities) {
            using Kind = Options::AfsIdentity::Kind;
            if (id.kind == Kind::localauth_user) {
                auto t = afs::crypto::mint_token(*keyfile, afs::crypto::Principal(id.name), ticket_lifetime);
                if (!t)
                    return tl::unexpected(Failure{exit_usage, "cannot mint a ticket for user '" + id.name +
                                                                  "' from the KeyFile '" + o.localauth_keyfile +
                                                                  "': " + t.error().message()});
                s.keys.push_back(afs::client::rxkad(*t, level));
                continue;
            }
            afs::krb5::Source source;
            if (id.kind == Kind::ccache) {
                source.ccache = id.name;
            } else {
                source.kind = afs::krb5::Source::Kind::keytab;
                source.keytab = o.keytab;
                source.principal = id.name;
            }
            if (auto f = add_kerberos(source)) return tl::unexpected(*f);
        }
        if (keyfile && o.users.empty()) {
            // As OpenAFS's -localauth: the cell's superuser "afs".
            auto t = afs::crypto::mint_localauth_token(*keyfile);
            if (!t)
                return tl::unexpected(Failure{exit_usage, "cannot mint a ticket from the KeyFile '" +
                                                              o.localauth_keyfile + "': " + t.error().message()});
            s.keys.push_back(afs::client::rxkad(*t, level));
        }
        return s;
    }

    // Nothing given: the user's Kerberos ticket, as aklog would find it.
    auto cred = afs::krb5::get_credential(afs::krb5::Source{}, request);
    if (cred) {
        s.kerberos.push_back({0, cred->client, cred->token.end(), true, afs::krb5::Source{}});
        s.keys.push_back(afs::client::rxkad(cred->token, level));
        return s;
    }
    // auto: without a ticket, or with tickets of a realm that serves no such cell (a user of
    // another cell reading a public one), speak anonymously and say so if refused. An
    // expired ticket or an unreachable KDC is an error: the user meant to be someone.
    using FailureKind = afs::krb5::Failure::Kind;
    if (o.auth == Options::Auth::automatic &&
        (cred.error().kind == FailureKind::no_credentials || cred.error().kind == FailureKind::no_service)) {
        s.anonymous_because = cred.error().message;
        s.keys.push_back(afs::client::anonymous());
        return s;
    }
    return tl::unexpected(Failure{exit_connection, "cannot authenticate to the cell " + cell + ": " + cred.error().message});
}

}  // namespace netcp
