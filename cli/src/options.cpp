#include "options.hpp"

#include <cctype>
#include <cmath>

#include <CLI/CLI.hpp>

#include "exit_codes.hpp"
#include "netcp_commit.hpp"

namespace netcp {

namespace {

constexpr const char* footer = R"(Operands:
  A local path, or 9p://[UNAME@]HOST[:PORT]/PATH (port 564 by default; IPv6 as
  9p://[::1]/PATH). PATH is inside the export chosen with --aname. Or
  afs://CELL/PATH, meaning /afs/CELL/PATH in an OpenAFS cell. One side must be
  local and the other remote. Directories follow cp -r: copying into an existing
  directory puts the source inside it; a missing destination becomes the copy.
  '-' as the only SRC uploads standard input as the file DST names; '-' as DST
  writes the one file downloaded to standard output, once it is complete and
  checked (both pass through a temporary file in $TMPDIR). A file named '-' is ./-.

Examples:
  Upload a file to a diod export:
    netcp --aname /srv/export ./report.pdf 9p://fileserver/docs/report.pdf
  Download it again over a unix socket (the host part is then ignored):
    netcp --unix-socket /run/diod.sock --aname /srv/export 9p://localhost/docs/report.pdf .
  Upload a directory tree (creates docs/photos on the server):
    netcp -r --aname /srv/export ./photos 9p://fileserver/docs/
  Upload to an OpenAFS cell (/afs/example.org/proj/data.bin), with a key minted
  for bob from the cell's KeyFile:
    netcp --vlserver afsdb1.example.org --localauth /etc/openafs/server/KeyFile \
          --user bob ./data.bin afs://example.org/proj/data.bin
  After kinit, netcp authenticates with your Kerberos ticket by itself; a cron
  job can use a keytab instead (its own tickets, your cache untouched):
    kinit alice@EXAMPLE.ORG && netcp ./data.bin afs://example.org/home/alice/
    netcp --keytab /etc/backup.keytab --principal backup ./db.dump afs://example.org/backups/
  Try several keys in turn (the first the fileserver accepts is used), and
  read anonymously (rxnull) with the VL server from a CellServDB file:
    netcp --localauth KeyFile --user alice --user bob -r ./tree afs://example.org/proj/
    netcp --cellservdb /etc/openafs/CellServDB afs://example.org/pub/README .
  Stream an archive to the server and back, and copy the paths a script lists:
    tar cz ./src | netcp --aname /srv/export - 9p://fileserver/backups/src.tgz
    netcp --aname /srv/export 9p://fileserver/backups/src.tgz - | tar xz
    find . -name '*.log' -print0 | netcp -0 --files-from - . 9p://fileserver/logs/
  Use an IPv6 server, a non-default port, and environment defaults:
    NETCP_ANAME=/srv/export netcp big.iso 9p://[fd00::5]:5640/isos/
  Upload without the page cache and show what the write engine did:
    netcp --direct --stats --aname /srv/export big.iso 9p://fileserver/isos/
  Keep a local cache: the second download is served from it while the file is
  unchanged on the server (--stats shows server_bytes=0), and uploads fill it too:
    netcp --cache ~/.cache/netcp --aname /srv/export 9p://fileserver/isos/big.iso .
    netcp cache stats ~/.cache/netcp      (also: list, clear)

Exit status:
  0 all copied   2 usage error   3 not found   4 cannot connect or attach
  5 some files failed   7 timed out   1 other errors
  130, 143, 129 interrupted by SIGINT, SIGTERM, SIGHUP (partial files kept for
                the same command to continue; removed with --no-resume)

Options that name a connection, an identity or the cache can also be set in
the environment as NETCP_<OPTION> (NETCP_ANAME, NETCP_UNIX_SOCKET, NETCP_AUTH,
NETCP_VLSERVER, NETCP_KEYTAB, NETCP_CACHE, NETCP_JSON...; docs/environment.md
lists them all); the command line wins. For AFS, KRB5CCNAME and KRB5_CONFIG
are read as by every Kerberos program.)";

}  // namespace

std::optional<uint64_t> parse_rate(const std::string& text) {
    // NUMBER[.FRACTION][K|M|G|T][i][B][/s], K = 1024 as rsync and rclone read it.
    size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double value;
    try {
        size_t used = 0;
        value = std::stod(text.substr(0, i), &used);
        if (used != i) return std::nullopt;
    } catch (...) {
        return std::nullopt;
    }
    std::string unit = text.substr(i);
    if (unit.size() >= 2 && unit.compare(unit.size() - 2, 2, "/s") == 0) unit.resize(unit.size() - 2);
    double scale = 1;
    if (!unit.empty()) {
        const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
        const std::string units = "KMGT";
        const auto k = units.find(u);
        if (k != std::string::npos) {
            scale = std::pow(1024.0, double(k + 1));
            unit.erase(0, 1);
            if (!unit.empty() && unit[0] == 'i') unit.erase(0, 1);
        }
        if (unit == "B" || unit == "b") unit.clear();
        if (!unit.empty()) return std::nullopt;
    }
    const double bytes = value * scale;
    if (!std::isfinite(bytes) || bytes < 0 || bytes > 1e18) return std::nullopt;
    return static_cast<uint64_t>(bytes);
}

namespace {

// netcp cache stats|list|clear DIR
ParsedCommandLine parse_cache_command(int argc, char** argv) {
    CacheCommand cmd;
    CLI::App app{"netcp cache: show or manage a netcp cache directory (see --cache).", "netcp cache"};
    app.add_option("ACTION", cmd.action, "stats: totals; list: one line per cached file; clear: remove every "
                                         "entry not in use")
        ->required()->check(CLI::IsMember({"stats", "list", "clear"}));
    app.add_option("DIR", cmd.dir, "The cache directory")->required();
    app.add_flag("--bytes", cmd.bytes, "Exact byte counts instead of human-readable sizes");
    try {
        app.parse(argc - 1, argv + 1);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return {std::nullopt, std::nullopt, rc == 0 ? static_cast<int>(exit_ok) : static_cast<int>(exit_usage)};
    }
    return {std::nullopt, std::move(cmd), exit_ok};
}

bool is_cache_command(int argc, char** argv) {
    // `netcp cache ...` names the subcommand only when an action follows; a local file
    // called "cache" is still copied (`netcp cache 9p://host/x`, or `./cache`).
    if (argc < 2 || std::string(argv[1]) != "cache") return false;
    if (argc == 2) return true;
    const std::string next = argv[2];
    return next == "stats" || next == "list" || next == "clear" || next == "--help" || next == "-h";
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, char** argv) {
    if (is_cache_command(argc, argv)) return parse_cache_command(argc, argv);
    Options o;
    CLI::App app{"netcp: copy files to and from 9P2000.L servers (such as diod) and OpenAFS cells from userspace.", "netcp"};
    app.set_version_flag("--version", "netcp " NETCP_VERSION " (" NETCP_COMMIT ")");
    app.footer(footer);
    app.get_formatter()->column_width(34);

    app.add_option("SRC... DST", o.operands, "Sources, then the destination")->required();
    app.add_flag("-r,-R,--recursive", o.recursive, "Copy directories recursively");
    app.add_flag("-T,--no-target-directory", o.no_target_directory,
                 "Treat DST as the exact name, even if it is an existing directory");
    app.add_flag("-p,--preserve", o.preserve, "Keep modification times and exact permission bits");
    app.add_flag("-L,--dereference", o.dereference, "Follow symbolic links in sources");
    app.add_flag("--fsync", o.fsync, "Flush each uploaded file to stable storage on the server before renaming it");
    bool direct = false, write_through = false, raw = false;
    app.add_flag("--direct", direct, "Upload without the page cache: unbuffered writes of netcp's buffers");
    app.add_flag("--write-through", write_through, "Send each page to the server as soon as it is filled");
    app.add_flag("--raw-pipeline", raw, "Upload with a plain Twrite pipeline, bypassing the write engine "
                                       "(a baseline for benchmarks)")->group("");
    app.add_flag("--json", o.json, "Also print one JSON object per line on stdout for scripts: start, each file "
                                   "(start, done) and directory, each error and warning, and a summary with the "
                                   "exit status (schema: docs/json-output.md)")
        ->envname("NETCP_JSON");
    app.add_flag("--stats", o.stats, "Print the write engine's counters after the copy (per stream: "
                                     "subrequests issued, completed, failed, retried, bytes)");
    app.add_option("--trace", o.trace_file, "Write the write engine's trace events to FILE, one JSON object "
                                            "per line")->type_name("FILE");
    app.add_option("--cache", o.cache_dir, "Keep a persistent cache of remote files in DIR: reads of unchanged "
                                           "files are served from it, uploads fill it")
        ->envname("NETCP_CACHE")->type_name("DIR");
    app.add_option("--cache-size", o.cache_size, "Most cached data to keep, least recently used files "
                                                 "culled first (e.g. 500M, 20G; 0: no limit)")
        ->envname("NETCP_CACHE_SIZE")->transform(CLI::AsSizeValue(false))->default_str("10G");
    bool no_progress = false;
    app.add_flag("--no-progress", no_progress, "No live progress line (shown on stderr when it is a terminal, "
                                               "unless -q)");
    std::string bwlimit;
    auto* bwlimit_opt = app.add_option("--bwlimit", bwlimit, "Limit transfers to and from servers to RATE bytes per second (K, M, G: "
                                         "powers of 1024, e.g. 10M, 1.5G; 0: no limit)")
        ->envname("NETCP_BWLIMIT")->type_name("RATE");
    app.add_flag("-n,--dry-run", o.dry_run, "Say what would be copied (and, with -v, what would be skipped); "
                                            "change nothing");
    app.add_flag("-u,--update", o.update, "Skip files whose destination is newer than the source (or as new, "
                                          "with the same size), as rsync -u");
    app.add_flag("--ignore-existing", o.ignore_existing, "Skip files that already exist at the destination");
    app.add_flag("--size-only", o.size_only, "Skip files whose destination has the same size, whatever its time");
    app.add_flag("-c,--checksum", o.checksum, "Skip files whose destination has the same size and the same "
                                              "content (SHA-256 of both; the server's copy is read back, as neither "
                                              "9P nor AFS can hash on the server)");
    app.add_option("--files-from", o.files_from, "Copy the paths listed in FILE ('-': stdin), one per line, "
                                                 "relative to the one SRC directory, into DST (blank lines and "
                                                 "lines starting with # or ; are ignored)")
        ->type_name("FILE");
    app.add_flag("-0,--from0", o.from0, "The --files-from list is separated by NUL bytes (find -print0), not lines");
    bool no_resume = false;
    app.add_flag("--no-resume", no_resume, "Start every file over: do not continue a copy that was interrupted, "
                                           "and remove the partial file when a copy fails (by default it is kept "
                                           "and the same command continues it)");
    bool quiet = false, verbose = false;
    app.add_flag("-q,--quiet", quiet, "Print errors only");
    app.add_flag("-v,--verbose", verbose, "Print each file copied and a summary");

    auto* conn = "9P connection";
    app.add_option("--aname", o.aname, "Export to attach (diod: the exported path)")
        ->envname("NETCP_ANAME")->group(conn);
    app.add_option("--unix-socket", o.unix_socket, "Connect to this unix-domain socket instead of HOST:PORT")
        ->envname("NETCP_UNIX_SOCKET")->group(conn);
    app.add_option("--uname", o.uname, "User name to attach as (default: the current user's); without --uid the server looks it up by name")
        ->envname("NETCP_UNAME")->group(conn);
    app.add_option("--uid", o.uid, "Numeric uid to attach as (default: the current uid)")
        ->envname("NETCP_UID")->group(conn);
    std::string auth = "auto";
    app.add_option("--auth", auth, "Authentication: auto (9P: MUNGE when the server asks for it; AFS: the "
                                   "identities given, else Kerberos when the credential cache holds a ticket, else "
                                   "anonymous), munge (9P, always; fail if the server does not ask), krb5 (AFS: "
                                   "Kerberos 5 only; fail without a ticket), none (never: anonymous)")
        ->envname("NETCP_AUTH")->check(CLI::IsMember({"auto", "munge", "krb5", "none"}))->capture_default_str()
        ->group(conn);
    app.add_option("--munge-socket", o.munge_socket, "munged's socket, to get MUNGE credentials from "
                                                     "(default: /run/munge/munge.socket.2)")
        ->envname("NETCP_MUNGE_SOCKET")->type_name("PATH")->group(conn);
    app.add_option("--msize", o.msize, "Largest message size to negotiate, in bytes")
        ->envname("NETCP_MSIZE")->check(CLI::Range(4096u, 16u << 20))->capture_default_str()->group(conn);
    app.add_option("--depth", o.depth, "Requests in flight per file")
        ->envname("NETCP_DEPTH")->check(CLI::Range(1u, 1024u))->capture_default_str()->group(conn);
    app.add_option("--transfers", o.transfers, "Files copied at once, each over a connection of its own (opened "
                                               "only when several files wait)")
        ->envname("NETCP_TRANSFERS")->check(CLI::Range(1u, 64u))->capture_default_str()->group(conn);
    double timeout_s = 60, connect_timeout_s = 10;
    app.add_option("--timeout", timeout_s, "Seconds to wait for any reply (0: forever)")
        ->envname("NETCP_TIMEOUT")->check(CLI::NonNegativeNumber)->capture_default_str()->group(conn);
    app.add_option("--connect-timeout", connect_timeout_s, "Seconds to wait for the connection")
        ->envname("NETCP_CONNECT_TIMEOUT")->check(CLI::PositiveNumber)->capture_default_str()->group(conn);

    auto* afs = "AFS (afs://CELL/PATH)";
    app.add_option("--vlserver", o.vlserver, "The cell's VL server, HOST[:PORT] (port 7003 by default)")
        ->envname("NETCP_VLSERVER")->group(afs);
    app.add_option("--cellservdb", o.cellservdb, "Find the cell's VL servers in this CellServDB file")
        ->envname("NETCP_CELLSERVDB")->type_name("FILE")->group(afs);
    std::vector<std::string> ccaches, principals;
    auto* ccache_opt = app.add_option("--ccache", ccaches, "A Kerberos 5 identity from this credential cache "
                                                         "(e.g. FILE:/tmp/krb5cc_1000); repeat for several, tried in "
                                                         "the order given (default: KRB5CCNAME's or the system's "
                                                         "cache, when it holds a ticket)")
        ->type_name("NAME")->allow_extra_args(false)->group(afs);
    app.add_option("--keytab", o.keytab, "Kerberos keytab to take the --principal identities from (scripts, cron "
                                         "jobs: the user's credential cache is not touched)")
        ->envname("NETCP_KEYTAB")->type_name("FILE")->group(afs);
    auto* principal_opt = app.add_option("--principal", principals, "With --keytab: a Kerberos 5 identity for this "
                                                                    "principal; repeat for several")
        ->type_name("NAME")->allow_extra_args(false)->group(afs);
    app.add_option("--realm", o.realm, "The cell's Kerberos realm (default: krb5.conf's domain_realm for the cell "
                                       "name, else the cell name in upper case)")
        ->envname("NETCP_REALM")->group(afs);
    app.add_option("--localauth", o.localauth_keyfile, "Mint rxkad tickets from the cell's KeyFile, as "
                                                       "OpenAFS's -localauth")
        ->envname("NETCP_LOCALAUTH")->type_name("KEYFILE")->group(afs);
    auto* user_opt = app.add_option("--user", o.users, "With --localauth: a key for this user; repeat to give several, "
                                                       "tried in order (default: the superuser \"afs\")")
        ->type_name("NAME")->allow_extra_args(false)->group(afs);  // one name per --user, not the operands
    std::string security = "crypt";
    app.add_option("--security", security, "rxkad level of the keys: clear, auth (checksummed) or crypt")
        ->envname("NETCP_SECURITY")->check(CLI::IsMember({"clear", "auth", "crypt"}))->capture_default_str()
        ->group(afs);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);  // prints help, version or the error
        return {std::nullopt, std::nullopt, rc == 0 ? static_cast<int>(exit_ok) : static_cast<int>(exit_usage)};
    }
    if (o.operands.size() < 2) {
        std::fprintf(stderr, "netcp: missing destination operand after '%s'\nTry 'netcp --help'.\n",
                     o.operands.front().c_str());
        return {std::nullopt, std::nullopt, exit_usage};
    }
    if (o.json && o.operands.back() == "-") {
        std::fprintf(stderr, "netcp: --json writes its events to standard output, and '-' sends the file there: "
                             "choose one\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    if (quiet && verbose) {
        std::fprintf(stderr, "netcp: --quiet and --verbose contradict each other\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    if (int(direct) + int(write_through) + int(raw) > 1) {
        std::fprintf(stderr, "netcp: choose one of --direct, --write-through and --raw-pipeline\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    if (!o.users.empty() && o.localauth_keyfile.empty()) {
        std::fprintf(stderr, "netcp: --user needs --localauth KEYFILE: netcp mints each user's ticket from the "
                             "cell's KeyFile\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    o.security = security == "clear" ? Options::Security::clear
                 : security == "auth" ? Options::Security::auth
                                      : Options::Security::crypt;
    o.auth = auth == "munge"  ? Options::Auth::munge
             : auth == "krb5" ? Options::Auth::krb5
             : auth == "none" ? Options::Auth::none
                              : Options::Auth::automatic;
    if (!principals.empty() && o.keytab.empty()) {
        std::fprintf(stderr, "netcp: --principal needs --keytab FILE: netcp gets that principal's tickets from the "
                             "keytab (for a credential cache from kinit, use --ccache)\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    if (!o.keytab.empty() && principals.empty()) {
        std::fprintf(stderr, "netcp: --keytab needs --principal NAME: which of the keytab's principals to use\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    if (o.auth == Options::Auth::none && (!ccaches.empty() || !principals.empty() || !o.localauth_keyfile.empty())) {
        std::fprintf(stderr, "netcp: --auth none (anonymous) contradicts the identities given (--ccache, "
                             "--principal, --localauth)\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    // The identities in the order they were given: that is the order they are tried in.
    {
        size_t next_ccache = 0, next_principal = 0, next_user = 0;
        for (const CLI::Option* opt : app.parse_order()) {
            using Kind = Options::AfsIdentity::Kind;
            if (opt == ccache_opt && next_ccache < ccaches.size())
                o.afs_identities.push_back({Kind::ccache, ccaches[next_ccache++]});
            else if (opt == principal_opt && next_principal < principals.size())
                o.afs_identities.push_back({Kind::keytab_principal, principals[next_principal++]});
            else if (opt == user_opt && next_user < o.users.size())
                o.afs_identities.push_back({Kind::localauth_user, o.users[next_user++]});
        }
    }
    o.write_mode = direct ? Options::WriteMode::direct
                   : write_through ? Options::WriteMode::write_through
                   : raw ? Options::WriteMode::raw_pipeline
                         : Options::WriteMode::buffered;
    o.verbosity = quiet ? 0 : verbose ? 2 : 1;
    o.progress = !no_progress && !quiet;
    o.resume = !no_resume;
    if (!bwlimit.empty() || bwlimit_opt->count() > 0) {
        auto rate = parse_rate(bwlimit);
        if (!rate) {
            std::fprintf(stderr, "netcp: --bwlimit %s: not a rate (bytes per second, with K, M or G: 500K, 10M, "
                                 "1.5G)\n", bwlimit.c_str());
            return {std::nullopt, std::nullopt, exit_usage};
        }
        o.bwlimit = *rate;
    }
    if (o.bwlimit > 0 && o.write_mode == Options::WriteMode::raw_pipeline) {
        std::fprintf(stderr, "netcp: --bwlimit works in the write engine, which --raw-pipeline bypasses\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    if (o.from0 && o.files_from.empty()) {
        std::fprintf(stderr, "netcp: --from0 describes the --files-from list: give --files-from FILE\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    if (!o.files_from.empty() && o.operands.size() != 2) {
        std::fprintf(stderr, "netcp: --files-from takes exactly one SRC (the directory the listed paths are "
                             "relative to) and DST\n");
        return {std::nullopt, std::nullopt, exit_usage};
    }
    // Rounded up to whole milliseconds: a small timeout must never become 0, which means
    // "forever" (--timeout 0.0001 is 1 ms, not no limit).
    auto to_ms = [](double seconds) {
        return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
    };
    o.timeout = to_ms(timeout_s);
    o.connect_timeout = to_ms(connect_timeout_s);
    return {std::move(o), std::nullopt, exit_ok};
}

}  // namespace netcp
