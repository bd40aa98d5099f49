// Small helpers shared by the tests: temporary directories, random data, hashing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace testutil {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "netcp-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

std::vector<std::byte> random_bytes(size_t n, uint64_t seed);
// Writes `size` pseudo-random bytes to `path` in chunks (for files too big to hold twice).
void write_random_file(const std::filesystem::path& path, uint64_t size, uint64_t seed);
void write_file(const std::filesystem::path& path, std::span<const std::byte> data);
void write_file(const std::filesystem::path& path, const std::string& text);
std::vector<std::byte> read_file(const std::filesystem::path& path);
std::string sha256_hex(std::span<const std::byte> data);
std::string sha256_file(const std::filesystem::path& path);

// SHA-256 of data that arrives in pieces (a file too big to hold whole).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::span<const std::byte> data);
    std::string hex();  // once, at the end

private:
    ::evp_md_ctx_st* ctx_;
};

// Runs a shell command; returns its exit status and collects stdout+stderr.
struct CommandResult {
    int status = -1;
    std::string output;
};
CommandResult run(const std::string& command);
std::string shell_quote(const std::string& s);

// Starts a program in the background with stdout and stderr going to `log`.
int spawn(const std::vector<std::string>& argv, const std::filesystem::path& log);
// Waits for a spawned program; returns its exit status (128 + signal if killed).
int wait_exit(int pid);
// Waits at most `seconds` for a spawned program. If it is still running then, prints the
// stack of every one of its threads (with gdb, when installed) so a hang can be read from
// the test log, kills it, and returns -1; otherwise its exit status as wait_exit's.
int wait_exit_within(int pid, double seconds);
// Polls `ready` every millisecond for up to `seconds`; true if it became true.
bool wait_until(const std::function<bool()>& ready, double seconds);

}  // namespace testutil
