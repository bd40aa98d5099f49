#include "resume_9p.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

#include "content_digest.hpp"
#include "exit_codes.hpp"
#include "remote.hpp"

namespace netcp {

namespace {

// A resumed upload starts on a folio boundary (netcp uploads with 256 KiB folios): whole
// folios, none read back first.
constexpr uint64_t upload_alignment = 256u << 10;

std::string absolute(const std::string& path) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf)) return buf;
    if (!path.empty() && path[0] == '/') return path;
    char cwd[PATH_MAX];
    return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + path : path;
}

uint64_t ns(const timespec& t) { return uint64_t(t.tv_sec) * 1'000'000'000ull + uint64_t(t.tv_nsec); }

nlohmann::json where(const RemoteFs& remote, const Options& options, const std::string& path) {
    return {{"server", remote.endpoint()}, {"aname", options.aname}, {"path", path}};
}

// A reader of `fd` for boundary_matches.
RangeReader local_reader(int fd) {
    return [fd](uint64_t pos, std::span<std::byte> dst) -> tl::expected<size_t, std::error_code> {
        for (;;) {
            const ssize_t n = ::pread(fd, dst.data(), dst.size(), static_cast<off_t>(pos));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return tl::unexpected(std::error_code(errno, std::generic_category()));
            return static_cast<size_t>(n);
        }
    };
}

RangeReader remote_reader(p9::BlockingClient& c, const p9::Fid& f) {
    return [&c, &f](uint64_t pos, std::span<std::byte> dst) -> tl::expected<size_t, std::error_code> {
        auto n = c.read(f, pos, dst.first(std::min<size_t>(dst.size(), c.max_io())));
        if (!n) return tl::unexpected(n.error());
        return *n;
    };
}

}  // namespace

bool worth_resuming(const Failure& f) {
    return f.exit_code == exit_interrupted || f.exit_code == exit_timeout || f.exit_code == exit_connection;
}

std::string kept_for_resume_note(const std::string& what) {
    return "; " + what + " is kept: the same command continues it (--no-resume starts over)";
}

UploadResume find_upload_resume(RemoteFs& remote, const Options& options, const std::string& local, int src_fd,
                                const struct stat& st, const std::string& remote_path, bool from_stdin) {
    UploadResume r;
    // Standard input is spooled anew each time: there is nothing to continue.
    if (from_stdin) return r;
    const std::string source = absolute(local);
    r.record.transfer = {
        {"kind", "9p-upload"},
        {"where", where(remote, options, remote_path)},
        {"uname", options.uname},
        {"source",
         {{"path", source}, {"dev", uint64_t(st.st_dev)}, {"ino", uint64_t(st.st_ino)}, {"size", uint64_t(st.st_size)},
          {"mtime_ns", ns(st.st_mtim)}, {"ctime_ns", ns(st.st_ctim)}}}};
    const std::string key = sha256_hex(r.record.transfer["where"].dump() + '\0' + source);
    if (key.empty()) return r;
    auto j = ResumeJournal::open_in(upload_journal_dir(), key + ".resume");
    if (!j) {
        r.no_journal = j.error() == std::errc::operation_would_block
                           ? "another netcp is copying it: not resumable"
                           : "cannot keep resume journals in " + upload_journal_dir() + ": " + j.error().message();
        return r;
    }
    const bool may_resume = options.resume && options.write_mode != Options::WriteMode::raw_pipeline;
    const auto earlier = j->read();
    const auto [parent, name] = split_parent(remote_path);
    if (earlier && may_resume && earlier->transfer == r.record.transfer && is_partial_name(earlier->partial, name)) {
        auto& c = remote.client();
        auto take_up = [&]() -> std::string {
            auto d = remote.directory(parent);
            if (!d) return d.error().message();
            auto f = c.walk(**d, earlier->partial);
            if (!f) return "the partial file " + remote.url(parent.empty() ? earlier->partial : parent + "/" +
                                                            earlier->partial) + ": " + f.error().message();
            auto a = c.getattr(*f, p9::getattr::basic);
            if (!a) return a.error().message();
            if (a->qid.path != earlier->partial_id || !S_ISREG(a->mode))
                return "the partial file was replaced";
            const uint64_t size = uint64_t(st.st_size);
            if (a->size > size) return "the partial file is longer than the source";
            const uint64_t from = std::min({earlier->prefix, a->size, size}) / upload_alignment * upload_alignment;
            if (from == 0) return "less than 256 KiB was acknowledged";
            if (auto o = c.open(*f, p9::open_flags::rdwr); !o) return o.error().message();
            auto same = boundary_matches(from, local_reader(src_fd), remote_reader(c, *f));
            if (!same) return "cannot check it: " + same.error().message();
            if (!*same) return "the server's copy differs from the source before byte " + std::to_string(from);
            r.file = std::move(*f);
            r.qid = a->qid;
            r.partial = earlier->partial;
            r.from = from;
            return {};
        };
        r.note = take_up();
        if (!r.note.empty()) r.note = "not resuming (" + r.note + "): starting over";
    }
    if (earlier && !r.file && earlier->transfer.is_object() &&
        earlier->transfer.value("where", nlohmann::json()) == r.record.transfer["where"] &&
        is_partial_name(earlier->partial, name)) {
        // The earlier run's partial file is of no more use: remove it (by name, in the
        // destination's directory, and only a name this transfer would have chosen).
        if (auto d = remote.directory(parent)) (void)remote.client().unlinkat(**d, earlier->partial, 0);
    }
    if (!may_resume) {
        j->remove();
        return r;
    }
    r.journal.emplace(std::move(*j));
    return r;
}

DownloadResume find_download_resume(RemoteFs& remote, const Options& options, const std::string& remote_path,
                                    const p9::Rgetattr& attr, const p9::Fid& file, const LocalTarget& local) {
    DownloadResume r;
    if (!local.resumable) return r;
    r.record.transfer = {
        {"kind", "9p-download"},
        {"where", where(remote, options, remote_path)},
        {"uname", options.uname},
        {"target", local.name},
        {"source",
         {{"qid_path", attr.qid.path}, {"qid_version", attr.qid.version}, {"data_version", attr.data_version},
          {"size", attr.size}, {"mtime_ns", attr.mtime_sec * 1'000'000'000ull + attr.mtime_nsec}}}};
    auto j = ResumeJournal::open(local.dir_fd, download_journal_name(local.name));
    if (!j) {
        r.no_journal = j.error() == std::errc::operation_would_block
                           ? "another netcp is copying it: not resumable"
                           : "cannot keep a resume journal beside '" + local.display + "': " + j.error().message();
        return r;
    }
    const auto earlier = j->read();
    if (earlier && options.resume && earlier->transfer == r.record.transfer) {
        auto take_up = [&]() -> std::string {
            const uint64_t from = std::min(earlier->prefix, attr.size);
            if (from == 0) return "nothing was written yet";
            auto out = LocalPartial::adopt(local, earlier->partial, from);
            if (!out) return "the partial file: " + out.error().message();
            auto same = boundary_matches(from, local_reader(out->fd()), remote_reader(remote.client(), file));
            if (!same) return "cannot check it: " + same.error().message();
            if (!*same) return "the partial file differs from the server's before byte " + std::to_string(from);
            r.out.emplace(std::move(*out));
            r.from = from;
            return {};
        };
        r.note = take_up();
        if (!r.note.empty()) r.note = "not resuming (" + r.note + "): starting over";
    }
    // The journal's name is this target's, so an earlier partial it names (if it is one
    // this target would have had) is this copy's leftover.
    if (earlier && !r.out && is_partial_name(earlier->partial, local.name))
        ::unlinkat(local.dir_fd, earlier->partial.c_str(), 0);
    if (!options.resume) {
        j->remove();
        return r;
    }
    r.journal.emplace(std::move(*j));
    return r;
}

}  // namespace netcp
