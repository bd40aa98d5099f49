#include "layout.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "netfs/error.hpp"
#include "posix_io.hpp"

namespace netfs::cache {
namespace {

constexpr const char* tag_text =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by netcp.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n";

bool is_hex_hash(const std::string& s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

// A temporary record "HASH.meta.tmp.PID.N" whose writer is gone.
bool stale_temp(const std::string& name) {
    const auto at = name.find(".meta.tmp.");
    if (at == std::string::npos) return false;
    const long pid = std::strtol(name.c_str() + at + 10, nullptr, 10);
    if (pid <= 0) return true;
    if (pid == ::getpid()) return false;
    return ::kill(static_cast<pid_t>(pid), 0) < 0 && errno == ESRCH;
}

// What the cache holds is served as the remote file's data, so nobody else may be able
// to plant or change it: the directory must be ours and closed to group and others (as
// ssh insists for ~/.ssh). Created directories are 0700 already.
std::error_code private_to_us(const std::string& dir) {
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return io::errno_code();
    if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return netfs::make_error_code(netfs::errc::cache_not_private);
    return {};
}

}  // namespace

std::string EntryPaths::temp() const {
    static std::atomic<uint64_t> seq{0};
    return meta + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(seq.fetch_add(1));
}

Layout::Layout(std::string dir) : dir_(std::move(dir)) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
    root_ = dir_ + "/v1";
}

std::error_code Layout::create() const {
    if (auto ec = io::make_dir(dir_)) return ec;
    if (auto ec = private_to_us(dir_)) return ec;
    if (auto ec = io::make_dir(root_)) return ec;
    if (auto ec = private_to_us(root_)) return ec;
    const std::string tag = dir_ + "/CACHEDIR.TAG";
    if (::access(tag.c_str(), F_OK) != 0) {
        const std::string_view t(tag_text);
        if (auto ec = io::replace_file(tag, tag + ".tmp." + std::to_string(::getpid()),
                                       std::as_bytes(std::span(t.data(), t.size())), false))
            return ec;
    }
    // Refuse a directory we could create but not use (read-only mount, other owner).
    if (::access(root_.c_str(), R_OK | W_OK | X_OK) != 0) return io::errno_code();
    return {};
}

std::string Layout::hash(const Key& key) {
    // Each part with its length, so that ("ab", "c") and ("a", "bc") differ.
    std::string in = "netcp-cache-key";
    for (const std::string* part : {&key.server, &key.volume, &key.file}) {
        in += '\0';
        in += std::to_string(part->size());
        in += ':';
        in += *part;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(in.data(), in.size(), md, &len, EVP_sha256(), nullptr);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

EntryPaths Layout::entry(const std::string& hash) const {
    EntryPaths p;
    p.hash = hash;
    p.subdir = root_ + "/" + hash.substr(0, 2);
    p.data = p.subdir + "/" + hash + ".data";
    p.meta = p.subdir + "/" + hash + ".meta";
    return p;
}

result<Layout::Listing> Layout::scan() const {
    Listing out;
    DIR* top = ::opendir(root_.c_str());
    if (!top) {
        if (errno == ENOENT) return out;  // removed under us: nothing cached (open_object makes it again)
        return fail(io::errno_code());
    }
    while (dirent* d = ::readdir(top)) {
        const std::string sub = d->d_name;
        if (sub.size() != 2 || sub == "..") continue;
        const std::string subdir = root_ + "/" + sub;
        DIR* s = ::opendir(subdir.c_str());
        if (!s) continue;  // culled away meanwhile, or not ours
        while (dirent* e = ::readdir(s)) {
            const std::string name = e->d_name;
            if (name.size() < 64 || name.compare(0, 2, sub) != 0) continue;
            const std::string h = name.substr(0, 64), rest = name.substr(64);
            if (!is_hex_hash(h)) continue;
            if (rest == ".data" || rest == ".meta") out.hashes.push_back(h);
            else if (stale_temp(name)) out.stale_temps.push_back(subdir + "/" + name);
        }
        ::closedir(s);
    }
    ::closedir(top);
    std::sort(out.hashes.begin(), out.hashes.end());
    out.hashes.erase(std::unique(out.hashes.begin(), out.hashes.end()), out.hashes.end());
    return out;
}

}  // namespace netfs::cache
