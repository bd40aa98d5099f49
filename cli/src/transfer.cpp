#include "transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "exit_codes.hpp"
#include "local_io.hpp"
#include "local_partial.hpp"

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
        p9::NetfsWriteBackend backend({c.client(), file->number()}, {options.depth});
        // Enough bytes in flight to keep `depth` Twrites going.
        ec = engine.upload(src.fd, size, backend, uint64_t(options.depth) * c.client()->max_io(), cached.get(),
                           &interrupted);
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
                                              const LocalTarget& local) {
    const std::string from = remote.url(remote_path);
    auto& c = remote.client();
    auto file = remote.walk(remote_path);
    if (!file) return tl::unexpected(failure("cannot open " + from, file.error()));
    if (auto o = c.open(*file, p9::open_flags::rdonly); !o)
        return tl::unexpected(failure("cannot open " + from, o.error()));

    auto out = LocalPartial::create(local);
    if (!out) return tl::unexpected(out.error());

    std::shared_ptr<netfs::cache::Object> cached;
    if (!options.cache_dir.empty())
        cached = engine.cache_object(cache_key(remote.endpoint(), options.aname, attr.qid), cache_coherency(attr), from);
    auto abandon = [&](const std::string& what, std::error_code ec) {
        out->abandon();
        // What reached the cache came from the server and stays valid: keep it, so that
        // a retried download reads only the rest.
        engine.finish_cache(cached.get(), true, from);
        return tl::unexpected(failure(what, ec));
    };

    tl::expected<uint64_t, std::error_code> got;
    if (!options.cache_dir.empty()) {
        p9::NetfsReadBackend reader({c.client(), file->number()});
        got = engine.download(reader, attr.size, cached.get(), out->fd(), &interrupted);
    } else {
        got = c.read_into(*file, 0, [&](uint64_t pos, std::span<const std::byte> data) -> std::error_code {
            if (interrupted()) return std::make_error_code(std::errc::interrupted);
            return write_fully(out->fd(), pos, data);
        }, options.depth, attr.size);
    }
    if (!got) return abandon("download of " + from + " to '" + local.display + "' failed", got.error());
    LocalPartial::Finish fin;
    fin.size = *got;
    fin.mode = target_mode(attr.mode, options.preserve);
    if (options.preserve) {
        fin.atime = timespec{static_cast<time_t>(attr.atime_sec), static_cast<long>(attr.atime_nsec)};
        fin.mtime = timespec{static_cast<time_t>(attr.mtime_sec), static_cast<long>(attr.mtime_nsec)};
    }
    fin.fsync = options.fsync;
    if (auto done = out->commit(fin); !done) {
        engine.finish_cache(cached.get(), true, from);
        return tl::unexpected(done.error());
    }
    engine.finish_cache(cached.get(), true, from);
    return *got;
}

}  // namespace netcp
