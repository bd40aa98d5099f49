#include "libafs/krb5/service_ticket.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

#include <krb5.h>

#include "libafs/crypto/kerberos5_token.hpp"

namespace afs::krb5 {
namespace {

// Owns a krb5_context and turns its error codes into sentences.
class Context {
public:
    Context() { code_ = krb5_init_context(&ctx_); }
    ~Context() {
        if (ctx_) krb5_free_context(ctx_);
    }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    krb5_error_code init_error() const { return code_; }
    krb5_context get() const { return ctx_; }

    std::string message(krb5_error_code code) const {
        if (!ctx_) return "Kerberos error " + std::to_string(code);
        const char* m = krb5_get_error_message(ctx_, code);
        std::string s = m ? m : "Kerberos error " + std::to_string(code);
        krb5_free_error_message(ctx_, m);
        return s;
    }

    std::string name_of(krb5_const_principal p) const {
        char* s = nullptr;
        if (krb5_unparse_name(ctx_, p, &s) != 0 || !s) return "(unprintable principal)";
        std::string r = s;
        krb5_free_unparsed_name(ctx_, s);
        return r;
    }

private:
    krb5_context ctx_ = nullptr;
    krb5_error_code code_ = 0;
};

// RAII for the few libkrb5 handles used here.
struct CacheCloser {
    krb5_context ctx;
    bool destroy;  // a memory cache of our own is destroyed, a user's cache only closed
    void operator()(krb5_ccache cc) const {
        if (destroy) krb5_cc_destroy(ctx, cc);
        else krb5_cc_close(ctx, cc);
    }
};
using Cache = std::unique_ptr<std::remove_pointer_t<krb5_ccache>, CacheCloser>;

struct PrincipalFree {
    krb5_context ctx;
    void operator()(krb5_principal p) const { krb5_free_principal(ctx, p); }
};
using PrincipalPtr = std::unique_ptr<std::remove_pointer_t<krb5_principal>, PrincipalFree>;

struct KeytabCloser {
    krb5_context ctx;
    void operator()(krb5_keytab kt) const { krb5_kt_close(ctx, kt); }
};
using Keytab = std::unique_ptr<std::remove_pointer_t<krb5_keytab>, KeytabCloser>;

struct CredsFree {
    krb5_context ctx;
    void operator()(krb5_creds* c) const { krb5_free_creds(ctx, c); }
};
using CredsPtr = std::unique_ptr<krb5_creds, CredsFree>;

tl::unexpected<Failure> failure(Failure::Kind kind, std::string message) {
    return tl::unexpected(Failure{kind, std::move(message)});
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string data_string(const krb5_data& d) { return d.length ? std::string(d.data, d.length) : std::string(); }

std::string cache_name(const Context& k, krb5_ccache cc) {
    char* full = nullptr;
    if (krb5_cc_get_full_name(k.get(), cc, &full) != 0 || !full) return "(unnamed)";
    std::string s = full;
    krb5_free_string(k.get(), full);
    return s;
}

// When the cache's ticket-granting ticket for `realm` ended, if the cache has one.
std::optional<krb5_timestamp> tgt_end(const Context& k, krb5_ccache cc, const std::string& realm) {
    krb5_cc_cursor cursor;
    if (krb5_cc_start_seq_get(k.get(), cc, &cursor) != 0) return std::nullopt;
    std::optional<krb5_timestamp> end;
    krb5_creds c;
    while (krb5_cc_next_cred(k.get(), cc, &cursor, &c) == 0) {
        const krb5_principal s = c.server;
        if (s && s->length == 2 && data_string(s->data[0]) == "krbtgt" && data_string(s->data[1]) == realm)
            end = std::max(end.value_or(c.times.endtime), c.times.endtime);
        krb5_free_cred_contents(k.get(), &c);
    }
    krb5_cc_end_seq_get(k.get(), cc, &cursor);
    return end;
}

crypto::Principal afs_principal(krb5_const_principal p) {
    crypto::Principal who;
    if (p->length >= 1) who.name = data_string(p->data[0]);
    if (p->length >= 2) who.instance = data_string(p->data[1]);
    who.cell = data_string(p->realm);
    return who;
}

// What a failed krb5_get_credentials means to a user of `source` in `realm`.
Failure explain_ticket_failure(const Context& k, krb5_error_code code, const Source& source,
                               const std::string& client, const std::string& realm, const std::string& cell) {
    const std::string why = k.message(code);
    const bool from_cache = source.kind == Source::Kind::ccache;
    switch (code) {
        case KRB5KRB_AP_ERR_TKT_EXPIRED:
        case KRB5KDC_ERR_TGT_REVOKED:
            if (from_cache)
                return {Failure::Kind::expired, "the Kerberos tickets of " + client + " in " + source.describe() +
                                                    " have expired: run kinit " + client + " again"};
            return {Failure::Kind::expired, "the ticket " + source.describe() + " gave has expired: " + why};
        case KRB5_CC_NOTFOUND:
            if (from_cache)
                return {Failure::Kind::no_credentials,
                        client + " has no ticket for the realm " + realm + " in " + source.describe() +
                            " (a ticket-granting ticket for " + realm + " is needed to get one for the cell " + cell +
                            "): run kinit USER@" + realm};
            break;
        case KRB5_KDC_UNREACH:
        case KRB5_REALM_CANT_RESOLVE:
        case KRB5_REALM_UNKNOWN:
            return {Failure::Kind::kdc_unreachable,
                    "cannot reach a Kerberos KDC of the realm " + realm + " (" + why +
                        "): check the realm's kdc entries in krb5.conf (KRB5_CONFIG), or give the cell's realm "
                        "with --realm"};
        default: break;
    }
    return {Failure::Kind::refused, "the KDC of " + realm + " refused a ticket for the cell " + cell + " to " + client +
                                        ": " + why};
}

}  // namespace

std::string utc_time(uint32_t unix_seconds) {
    const auto tt = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string Source::describe() const {
    if (kind == Kind::ccache) return "the credential cache " + (ccache.empty() ? std::string("(default)") : ccache);
    return "the keytab " + (keytab.empty() ? std::string("(default)") : keytab) + " (" + principal + ")";
}

tl::expected<std::string, Failure> realm_for(const Request& request) {
    if (!request.realm.empty()) return request.realm;
    Context k;
    if (k.init_error())
        return failure(Failure::Kind::bad_source, "cannot read the Kerberos configuration (KRB5_CONFIG, "
                                                  "/etc/krb5.conf): " + k.message(k.init_error()));
    char** realms = nullptr;
    std::string realm;
    if (krb5_get_host_realm(k.get(), request.cell.c_str(), &realms) == 0 && realms) {
        if (realms[0] && realms[0][0] != '\0') realm = realms[0];  // "" is the referral realm: no mapping
        krb5_free_host_realm(k.get(), realms);
    }
    if (realm.empty()) realm = upper(request.cell);
    return realm;
}

tl::expected<Credential, Failure> get_credential(const Source& source, const Request& request) {
    auto realm = realm_for(request);
    if (!realm) return tl::unexpected(realm.error());
    Context k;
    if (k.init_error())
        return failure(Failure::Kind::bad_source, "cannot read the Kerberos configuration (KRB5_CONFIG, "
                                                  "/etc/krb5.conf): " + k.message(k.init_error()));
    krb5_context ctx = k.get();
    krb5_error_code code = 0;

    Cache cc(nullptr, CacheCloser{ctx, false});
    PrincipalPtr client(nullptr, PrincipalFree{ctx});
    Source named = source;
    if (source.kind == Source::Kind::ccache) {
        krb5_ccache raw = nullptr;
        code = source.ccache.empty() ? krb5_cc_default(ctx, &raw) : krb5_cc_resolve(ctx, source.ccache.c_str(), &raw);
        if (code)
            return failure(Failure::Kind::bad_source, "cannot open " + source.describe() + ": " + k.message(code));
        cc.reset(raw);
        named.ccache = cache_name(k, raw);
        krb5_principal p = nullptr;
        code = krb5_cc_get_principal(ctx, raw, &p);
        if (code)
            return failure(Failure::Kind::no_credentials,
                           named.describe() + " holds no Kerberos ticket (" + k.message(code) + "): run kinit USER@" +
                               *realm + " first, or give --keytab and --principal");
        client.reset(p);
    } else {
        if (source.principal.empty())
            return failure(Failure::Kind::bad_source, "a keytab needs the principal to use from it (--principal NAME)");
        std::string name = source.principal;
        if (name.find('@') == std::string::npos) name += "@" + *realm;
        krb5_principal p = nullptr;
        code = krb5_parse_name(ctx, name.c_str(), &p);
        if (code)
            return failure(Failure::Kind::bad_source,
                           "'" + source.principal + "' is not a Kerberos principal name: " + k.message(code));
        client.reset(p);
        named.principal = k.name_of(p);
        krb5_keytab rawkt = nullptr;
        code = source.keytab.empty() ? krb5_kt_default(ctx, &rawkt) : krb5_kt_resolve(ctx, source.keytab.c_str(), &rawkt);
        if (code)
            return failure(Failure::Kind::bad_source, "cannot open " + named.describe() + ": " + k.message(code));
        Keytab kt(rawkt, KeytabCloser{ctx});
        // The keytab's credentials live in a memory cache of our own, never the user's.
        krb5_ccache raw = nullptr;
        code = krb5_cc_new_unique(ctx, "MEMORY", nullptr, &raw);
        if (code) return failure(Failure::Kind::other, "cannot make a memory credential cache: " + k.message(code));
        cc = Cache(raw, CacheCloser{ctx, true});
        krb5_get_init_creds_opt* opt = nullptr;
        code = krb5_get_init_creds_opt_alloc(ctx, &opt);
        if (code) return failure(Failure::Kind::other, "libkrb5: " + k.message(code));
        krb5_get_init_creds_opt_set_out_ccache(ctx, opt, raw);
        krb5_creds tgt{};
        code = krb5_get_init_creds_keytab(ctx, &tgt, client.get(), kt.get(), 0, nullptr, opt);
        krb5_get_init_creds_opt_free(ctx, opt);
        if (code == 0) krb5_free_cred_contents(ctx, &tgt);
        if (code) {
            const std::string why = k.message(code);
            switch (code) {
                case KRB5_KT_NOTFOUND:
                case KRB5_KT_END:
                    return failure(Failure::Kind::bad_source, "the keytab " + source.keytab + " has no key for " +
                                                                  named.principal + " (" + why + ")");
                case ENOENT:
                    return failure(Failure::Kind::bad_source, "cannot read " + named.describe() + ": " + why);
                case KRB5_KDC_UNREACH:
                case KRB5_REALM_CANT_RESOLVE:
                case KRB5_REALM_UNKNOWN:
                    return failure(Failure::Kind::kdc_unreachable,
                                   "cannot reach a Kerberos KDC of the realm " + data_string(client->realm) + " (" +
                                       why + "): check its kdc entries in krb5.conf (KRB5_CONFIG)");
                case KRB5KDC_ERR_PREAUTH_FAILED:
                case KRB5KRB_AP_ERR_BAD_INTEGRITY:
                    return failure(Failure::Kind::refused,
                                   "the KDC refused the key " + named.describe() + " holds (" + why +
                                       "): the keytab is out of date; export it again (kadmin ktadd -norandkey)");
                default:
                    return failure(Failure::Kind::refused, "the KDC refused " + named.principal + " from " +
                                                               named.describe() + ": " + why);
            }
        }
    }
    const std::string client_name = k.name_of(client.get());

    // afs/CELL@REALM first, then the older afs@REALM, as aklog asks.
    const std::string cell_lower = lower(request.cell);

    std::vector<std::string> tried;
    for (int form = 0; form < 2; ++form) {
        krb5_principal sp = nullptr;
        code = form == 0 ? krb5_build_principal(ctx, &sp, static_cast<unsigned>(realm->size()), realm->c_str(), "afs",
                                                cell_lower.c_str(), static_cast<char*>(nullptr))
                         : krb5_build_principal(ctx, &sp, static_cast<unsigned>(realm->size()), realm->c_str(), "afs",
                                                static_cast<char*>(nullptr));
        if (code) return failure(Failure::Kind::bad_source, "bad service principal for the cell: " + k.message(code));
        PrincipalPtr server(sp, PrincipalFree{ctx});
        tried.push_back(k.name_of(sp));
        krb5_creds in{};
        in.client = client.get();
        in.server = server.get();
        krb5_creds* out_raw = nullptr;
        code = krb5_get_credentials(ctx, 0, cc.get(), &in, &out_raw);
        if (code == KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN) continue;
        if (code) {
            Failure f = explain_ticket_failure(k, code, named, client_name, *realm, request.cell);
            if (f.kind == Failure::Kind::expired && source.kind == Source::Kind::ccache) {
                if (auto end = tgt_end(k, cc.get(), data_string(client->realm)))
                    f.message = "the Kerberos tickets of " + client_name + " in " + named.describe() +
                                " expired at " + utc_time(static_cast<uint32_t>(*end)) + ": run kinit " + client_name + " again";
            }
            return tl::unexpected(std::move(f));
        }
        CredsPtr out(out_raw, CredsFree{ctx});
        const auto now = static_cast<krb5_timestamp>(std::time(nullptr));
        if (out->times.endtime <= now) {
            std::string msg = "the ticket for " + tried.back() + " in " + named.describe() + " expired at " +
                              utc_time(static_cast<uint32_t>(out->times.endtime));
            msg += source.kind == Source::Kind::ccache ? ": run kinit " + client_name + " again" : "";
            return failure(Failure::Kind::expired, msg);
        }
        crypto::Kerberos5Ticket t;
        t.client = afs_principal(out->client ? out->client : client.get());
        t.enctype = out->keyblock.enctype;
        auto key = reinterpret_cast<const std::byte*>(out->keyblock.contents);
        t.session_key.assign(key, key + out->keyblock.length);
        auto tkt = reinterpret_cast<const std::byte*>(out->ticket.data);
        t.ticket.assign(tkt, tkt + out->ticket.length);
        t.start = static_cast<uint32_t>(out->times.starttime ? out->times.starttime : out->times.authtime);
        t.end = static_cast<uint32_t>(out->times.endtime);
        auto token = crypto::make_kerberos5_token(t);
        crypto::wipe(t.session_key);
        if (!token)
            return failure(Failure::Kind::other,
                           "the ticket for " + tried.back() + " cannot be used with rxkad (session key enctype " +
                               std::to_string(t.enctype) + ", ticket of " + std::to_string(t.ticket.size()) +
                               " bytes): " + token.error().message());
        return Credential{std::move(*token), client_name, tried.back(), t.enctype};
    }
    return failure(Failure::Kind::no_service, "the realm " + *realm + " has no AFS service for the cell " +
                                                  request.cell + " (neither " + tried[0] + " nor " + tried[1] +
                                                  " is known to its KDC): give the cell's realm with --realm");
}

}  // namespace afs::krb5
