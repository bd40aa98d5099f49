// A real 9P2000.L server for one test, on loopback, exporting a fresh directory; stopped
// on destruction. Which server is chosen by NETCP_TEST_9P_SERVER, so one suite runs
// against each (CTest registers every 9P suite once per kind):
//   diod        diod without authentication (the default; fixtures/diod/diod-fixture.sh)
//   diod-munge  diod requiring MUNGE credentials, with its own munged and key
//   ganesha     nfs-ganesha's 9P export (fixtures/ganesha/ganesha-fixture.sh); its listener
//               binds every interface, so the test process runs in a network namespace of
//               its own (netns.hpp, entered before main)
// If the server is not installed the test process exits 77 (CTest: skipped).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lib9p/blocking.hpp"
#include "lib9p/endpoint.hpp"
#include "lib9p/munge.hpp"
#include "test_util.hpp"

namespace testutil {

enum class ServerKind { diod, diod_munge, ganesha };

// The kind NETCP_TEST_9P_SERVER names (diod when unset).
ServerKind server_kind();
const char* server_kind_name(ServerKind k);

class NinePServer {
public:
    explicit NinePServer(ServerKind kind = server_kind());
    ~NinePServer();
    NinePServer(const NinePServer&) = delete;
    NinePServer& operator=(const NinePServer&) = delete;

    ServerKind kind() const { return kind_; }
    const char* name() const { return server_kind_name(kind_); }
    p9::Endpoint tcp() const { return p9::Endpoint::tcp(host_, port_); }
    // diod listens on a unix socket too; ganesha does not.
    bool has_unix_socket() const { return !socket_.empty(); }
    p9::Endpoint unix_socket() const;
    // The unix socket where there is one, else TCP: for tests whose point is not the transport.
    p9::Endpoint local() const { return has_unix_socket() ? unix_socket() : tcp(); }
    uint16_t port() const { return port_; }
    const std::string& socket_path() const { return socket_; }
    // The exported directory on the local disk.
    const std::filesystem::path& export_dir() const { return export_; }
    // What Tattach names to reach the export (diod: its path; ganesha: its Pseudo path).
    const std::string& aname() const { return aname_; }
    pid_t pid() const { return pid_; }

    // Attaches as `uid`, authenticating as this server requires. REQUIREs success.
    p9::Fid attach(p9::BlockingClient& c, uint32_t uid) const;
    p9::result<p9::Fid> try_attach(p9::BlockingClient& c, const std::string& aname, uint32_t uid) const;
    // How a test runs netcp as another uid: where the server authenticates (MUNGE) netcp
    // must really run as it (a credential proves only the uid that asked munged for it,
    // so the command is prefixed with setpriv, and netcp must be able to read what it
    // copies); elsewhere `--uid N` says it.
    struct RunAs {
        std::string prefix;  // before the netcp binary
        std::string args;    // among netcp's arguments
    };
    RunAs as_uid(uint32_t uid) const;
    // With diod-munge: the munged whose key the server shares.
    const std::string& munge_socket() const { return munge_socket_; }

    // Freezes the server (SIGSTOP) and returns once every thread has stopped, so nothing
    // sent afterwards is answered until resume().
    void pause();
    void resume();
    // Kills the server at once (SIGKILL), as a crash would.
    void kill_now();
    std::string log() const;

private:
    ServerKind kind_;
    TempDir state_{"netcp-9p"};
    std::string fixture_;
    std::string host_ = "127.0.0.1";
    uint16_t port_ = 0;
    std::string socket_;
    std::filesystem::path export_;
    std::string aname_;
    std::filesystem::path log_;
    std::string munge_socket_;
    std::unique_ptr<p9::MungeAuthenticator> munge_;
    pid_t pid_ = -1;
};

}  // namespace testutil
