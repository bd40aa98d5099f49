#include "transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "exit_codes.hpp"

namespace netcp {

namespace {

std::error_code last_errno() { return {errno, std::generic_category()}; }

// Closes a file descriptor on scope exit.
struct FdGuard {
    int fd = -1;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::string partial_name(const std::string& name) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* digits = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string suffix;
    for (int i = 0; i < 6; ++i) suffix += digits[rng() % 36];
    // Stay within NAME_MAX (255) whatever the length of the final name.
    return "." + name.substr(0, 200) + ".netcp-" + suffix + ".partial";
}

uint32_t target_mode(uint32_t source_mode, bool preserve) {
    uint32_t perms = source_mode & 07777;
    if (preserve) return perms;
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return perms & ~static_cast<uint32_t>(mask) & 0777;
}

tl::expected<uint64_t, Failure> upload_file(RemoteFs& remote, Engine& engine, const Options& options,
                                            const std::string& local, const struct stat& st,
                                            const std::string& remote_path) {
    const std::string dest = remote.url(remote_path);
    FdGuard src{::open(local.c_str(), O_RDONLY | O_CLOEXEC | (options.dereference ? 0 : O_NOFOLLOW))};
    if (src.fd < 0) return tl::unexpected(failure("cannot open '" + local + "'", last_errno()));

    auto [parent, name] = split_parent(remote_path);
    auto dir = remote.directory(parent);
    if (!dir) return tl::unexpected(failure("cannot upload to " + dest, dir.error()));
    auto& c = remote.client();
    auto file = c.walk(**dir, "");
    if (!file) return tl::unexpected(failure("cannot upload to " + dest, file.error()));
    const std::string tmp = partial_name(name);
    auto created = c.create(*file, tmp, p9::open_flags::wronly | p9::open_flags::create | p9::open_flags::excl,
                            0600, ::getgid());
    if (!created)
        return tl::unexpected(failure("cannot upload '" + local + "' to " + dest + " (creating " + tmp + ")",
                                      created.error()));

    // The cache entry is the new file's (its qid survives the rename). Direct writes
    // bypass the cache stream, so they leave nothing to cache.
    std::shared_ptr<netfs::cache::Object> cached;
    if (options.write_mode == Options::WriteMode::buffered || options.write_mode == Options::WriteMode::write_through)
        cached = engine.cache_object(cache_key(remote.endpoint(), options.aname, created->qid), {}, dest);

    // From here on, any failure removes the temporary file.
    auto abandon = [&](const std::string& what, std::error_code ec) {
        (void)c.remove(*file);
        engine.finish_cache(cached.get(), false, dest);
        return tl::unexpected(failure(what, ec));
    };

    const uint64_t size = static_cast<uint64_t>(st.st_size);
    std::error_code ec;
    if (options.write_mode == Options::WriteMode::raw_pipeline) {
        auto written = c.write_from(*file, 0, size, [&](uint64_t pos, std::span<std::byte> buf) -> p9::result<size_t> {
            if (interrupted()) return p9::fail(std::make_error_code(std::errc::interrupted));
            for (;;) {
                ssize_t n = ::pread(src.fd, buf.data(), buf.size(), static_cast<off_t>(pos));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return p9::fail(last_errno());
                if (n == 0) return p9::fail(std::make_error_code(std::errc::io_error));  // the file shrank
                return static_cast<size_t>(n);
            }
        }, options.depth);
        if (!written) ec = written.error();
        else if (*written != size) ec = p9::errc::short_transfer;
    } else {
        ec = engine.upload(src.fd, size, {c.client(), file->number()}, cached.get(), &interrupted);
    }
    if (ec == std::errc::io_error)
        return abandon("'" + local + "' changed size while it was being uploaded to " + dest, ec);
    if (ec) return abandon("upload of '" + local + "' to " + dest + " failed", ec);
    if (options.fsync) {
        if ((ec = c.fsync(*file))) return abandon("cannot flush " + dest + " on the server", ec);
    }
    p9::Tsetattr attrs;
    attrs.valid = p9::setattr::mode;
    attrs.mode = target_mode(st.st_mode, options.preserve);
    if (options.preserve) {
        attrs.valid |= p9::setattr::mtime | p9::setattr::mtime_set | p9::setattr::atime | p9::setattr::atime_set;
        attrs.mtime_sec = static_cast<uint64_t>(st.st_mtim.tv_sec);
        attrs.mtime_nsec = static_cast<uint64_t>(st.st_mtim.tv_nsec);
        attrs.atime_sec = static_cast<uint64_t>(st.st_atim.tv_sec);
        attrs.atime_nsec = static_cast<uint64_t>(st.st_atim.tv_nsec);
    }
    if ((ec = c.setattr(*file, attrs))) return abandon("cannot set the mode of " + dest, ec);
    if (cached) {
        // The entry now describes the file as the server holds it (rename keeps size,
        // mtime and versions), so the next download of it is served from the cache.
        auto now = c.getattr(*file);
        if (now) cached->set_coherency(cache_coherency(*now));
        else cached->invalidate();
    }
    // Rename by name after the clunk: diod 1.0.24 dies on an assertion when an open fid
    // is renamed (ioctx.c:380), and the clunk's answer is the server's last word on the data.
    if ((ec = c.clunk(*file))) {
        (void)c.unlinkat(**dir, tmp, 0);
        engine.finish_cache(cached.get(), false, dest);
        return tl::unexpected(failure("upload of '" + local + "' to " + dest + " failed at close", ec));
    }
    if ((ec = c.renameat(**dir, tmp, **dir, name))) {
        (void)c.unlinkat(**dir, tmp, 0);
        engine.finish_cache(cached.get(), false, dest);
        return tl::unexpected(failure("cannot rename the upload into place at " + dest, ec));
    }
    engine.finish_cache(cached.get(), true, dest);
    return size;
}

tl::expected<uint64_t, Failure> download_file(RemoteFs& remote, Engine& engine, const Options& options,
                                              const std::string& remote_path, const p9::Rgetattr& attr,
                                              const std::string& local) {
    const std::string from = remote.url(remote_path);
    auto& c = remote.client();
    auto file = remote.walk(remote_path);
    if (!file) return tl::unexpected(failure("cannot open " + from, file.error()));
    if (auto o = c.open(*file, p9::open_flags::rdonly); !o)
        return tl::unexpected(failure("cannot open " + from, o.error()));

    const auto slash = local.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : local.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? local : local.substr(slash + 1);
    std::string tmp;
    FdGuard out;
    for (int attempt = 0; attempt < 10 && out.fd < 0; ++attempt) {
        tmp = dir + partial_name(name);
        out.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out.fd < 0 && errno != EEXIST) break;
    }
    if (out.fd < 0) return tl::unexpected(failure("cannot create '" + tmp + "'", last_errno()));

    std::shared_ptr<netfs::cache::Object> cached;
    if (!options.cache_dir.empty())
        cached = engine.cache_object(cache_key(remote.endpoint(), options.aname, attr.qid), cache_coherency(attr), from);
    auto abandon = [&](const std::string& what, std::error_code ec) {
        ::unlink(tmp.c_str());
        // What reached the cache came from the server and stays valid: keep it, so that
        // a retried download reads only the rest.
        engine.finish_cache(cached.get(), true, from);
        return tl::unexpected(failure(what, ec));
    };

    tl::expected<uint64_t, std::error_code> got;
    if (!options.cache_dir.empty()) {
        got = engine.download({c.client(), file->number()}, attr.size, cached.get(), out.fd, &interrupted);
    } else {
        got = c.read_into(*file, 0, [&](uint64_t pos, std::span<const std::byte> data) -> std::error_code {
            if (interrupted()) return std::make_error_code(std::errc::interrupted);
            size_t done = 0;
            while (done < data.size()) {
                ssize_t n = ::pwrite(out.fd, data.data() + done, data.size() - done, static_cast<off_t>(pos + done));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return last_errno();
                done += static_cast<size_t>(n);
            }
            return {};
        }, options.depth, attr.size);
    }
    if (!got) return abandon("download of " + from + " to '" + local + "' failed", got.error());
    if (::ftruncate(out.fd, static_cast<off_t>(*got)) != 0) return abandon("cannot write '" + local + "'", last_errno());
    if (::fchmod(out.fd, target_mode(attr.mode, options.preserve)) != 0)
        return abandon("cannot set the mode of '" + local + "'", last_errno());
    if (options.preserve) {
        const timespec times[2] = {{static_cast<time_t>(attr.atime_sec), static_cast<long>(attr.atime_nsec)},
                                   {static_cast<time_t>(attr.mtime_sec), static_cast<long>(attr.mtime_nsec)}};
        if (::futimens(out.fd, times) != 0) return abandon("cannot set the times of '" + local + "'", last_errno());
    }
    if (options.fsync && ::fsync(out.fd) != 0) return abandon("cannot flush '" + local + "'", last_errno());
    if (::close(out.fd) != 0) {
        out.fd = -1;
        return abandon("cannot write '" + local + "'", last_errno());
    }
    out.fd = -1;
    if (::rename(tmp.c_str(), local.c_str()) != 0)
        return abandon("cannot rename the download into place at '" + local + "'", last_errno());
    engine.finish_cache(cached.get(), true, from);
    return *got;
}

}  // namespace netcp
