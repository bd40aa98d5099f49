// netcp's command line: options, environment variables, help text.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netcp {

struct Options {
    std::vector<std::string> operands;  // SRC... DST
    bool recursive = false;
    bool no_target_directory = false;   // -T: DST is the exact name
    bool preserve = false;              // -p: keep modification times and exact modes
    bool dereference = false;           // -L: follow symbolic links in sources
    bool fsync = false;                 // flush each uploaded file on the server before it is renamed
    // How uploads go through netfs-core.
    enum class WriteMode { buffered, write_through, direct, raw_pipeline };
    WriteMode write_mode = WriteMode::buffered;
    bool stats = false;                 // print the write engine's counters at the end
    bool json = false;                  // one JSON object per event on stdout (docs/json-output.md)
    std::string trace_file;             // write the engine's trace events (JSON lines) here
    // The persistent local cache (--cache DIR): empty for none.
    std::string cache_dir;
    uint64_t cache_size = 10ull << 30;  // bytes of cached data kept (0: no limit)
    int verbosity = 1;                  // 0 quiet, 1 normal, 2 verbose
    bool progress = true;               // the live line on stderr, when it is a terminal (--no-progress)
    uint64_t bwlimit = 0;               // bytes per second to and from servers (0: no limit)
    bool dry_run = false;               // say what would be copied, change nothing
    // Which existing destination files are left alone (rsync's meanings).
    bool update = false;                // -u: the destination is newer (or as new and the same size)
    bool ignore_existing = false;       // the destination exists
    bool size_only = false;             // the destination has the same size
    bool checksum = false;              // the destination has the same size and content (read back)
    std::string files_from;             // copy these paths (relative to SRC), one per line ("-": stdin)
    bool from0 = false;                 // the --files-from list is NUL-separated
    // An interrupted file's partial copy and journal are kept, and the next run continues
    // it (--no-resume: start over, and remove them on failure).
    bool resume = true;
    // 9P connection
    std::string aname;                  // export to attach
    std::string unix_socket;            // connect here instead of HOST:PORT
    std::string uname;                  // user name sent in Tattach
    std::optional<uint32_t> uid;        // numeric uid sent in Tattach
    // Authentication. 9P (Tauth): automatic authenticates with MUNGE when the server asks.
    // AFS: automatic uses the identities given, else the Kerberos credential cache when it
    // holds a ticket, else anonymous; krb5 insists on Kerberos; none is anonymous.
    enum class Auth { automatic, munge, krb5, none };
    Auth auth = Auth::automatic;
    std::string munge_socket;           // munged's socket (empty: libmunge's default)
    uint32_t msize = 1u << 20;          // cap on the negotiated msize
    unsigned depth = 16;                // requests in flight per file
    unsigned transfers = 4;             // files copied at once, each over its own connection
    std::chrono::milliseconds timeout{60'000};
    std::chrono::milliseconds connect_timeout{10'000};
    // AFS (afs://CELL/PATH)
    std::string vlserver;               // HOST[:PORT] of the cell's VL server
    std::string cellservdb;             // or a CellServDB file naming it
    std::string localauth_keyfile;      // mint tickets from this KeyFile (as OpenAFS's -localauth)
    std::vector<std::string> users;     // one key per user, tried in this order; none: the KeyFile's "afs"
    std::string keytab;                 // Kerberos keytab for the --principal identities
    std::string realm;                  // the cell's Kerberos realm (empty: domain_realm, else CELL upper-cased)
    // The AFS identities given, in command-line order; tried in this order.
    struct AfsIdentity {
        enum class Kind { ccache, keytab_principal, localauth_user };
        Kind kind;
        std::string name;  // the ccache name, the principal, the user
    };
    std::vector<AfsIdentity> afs_identities;
    enum class Security { clear, auth, crypt };
    Security security = Security::crypt;  // rxkad level of the minted keys
};

// `netcp cache stats|list|clear DIR`.
struct CacheCommand {
    std::string action;  // stats, list or clear
    std::string dir;
    bool bytes = false;  // exact byte counts instead of human-readable sizes
};

struct ParsedCommandLine {
    std::optional<Options> options;  // empty: exit with exit_code (help, version or a usage error)
    std::optional<CacheCommand> cache_command;
    int exit_code = 0;
};

ParsedCommandLine parse_command_line(int argc, char** argv);

// A --bwlimit rate: "10M", "1.5G", "500K", "800" (bytes per second; K = 1024); nullopt if
// it is not one.
std::optional<uint64_t> parse_rate(const std::string& text);

}  // namespace netcp
