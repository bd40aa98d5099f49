#include "resume_9p.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>

#include "content_digest.hpp"
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

}  // namespace

RangeReader ninep_reader(p9::BlockingClient& c, const p9::Fid& f) {
    return [&c, &f](uint64_t pos, std::span<std::byte> dst) -> tl::expected<size_t, std::error_code> {
        auto n = c.read(f, pos, dst.first(std::min<size_t>(dst.size(), c.max_io())));
        if (!n) return tl::unexpected(n.error());
        return *n;
    };
}

UploadResume find_upload_resume(RemoteFs& remote, const Options& options, const std::string& local, int src_fd,
                                const struct stat& st, const std::string& remote_path, bool from_stdin) {
    UploadResume r;
    // Standard input is spooled anew each time: there is nothing to continue.
    if (from_stdin) return r;
    const std::string source = absolute(local);
    // One journal per source and destination, named by the exact bytes of both.
    const std::string key = sha256_hex(remote.endpoint() + '\0' + options.aname + '\0' + remote_path + '\0' + source);
    if (key.empty()) return r;
    r.record.transfer = journal_form({
        {"kind", "9p-upload"},
        {"where", where(remote, options, remote_path)},
        {"uname", options.uname},
        {"exact", sha256_hex(key + '\0' + options.uname)},
        {"source",
         {{"path", source}, {"dev", uint64_t(st.st_dev)}, {"ino", uint64_t(st.st_ino)}, {"size", uint64_t(st.st_size)},
          {"mtime_ns", ns(st.st_mtim)}, {"ctime_ns", ns(st.st_ctim)}}}});
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
            auto same = boundary_matches(from, file_reader(src_fd), ninep_reader(c, *f));
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
    // (The journal's name is the destination's and the source's: an earlier record in it
    // is of this destination, whatever else changed.)
    if (earlier && !r.file &&
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

nlohmann::json ninep_download_transfer(const RemoteFs& remote, const Options& options, const std::string& remote_path,
                                       const p9::Rgetattr& attr) {
    return {{"kind", "9p-download"},
            {"where", where(remote, options, remote_path)},
            {"uname", options.uname},
            {"exact", sha256_hex(remote.endpoint() + '\0' + options.aname + '\0' + remote_path + '\0' + options.uname)},
            {"source",
             {{"qid_path", attr.qid.path}, {"qid_version", attr.qid.version}, {"data_version", attr.data_version},
              {"size", attr.size}, {"mtime_ns", attr.mtime_sec * 1'000'000'000ull + attr.mtime_nsec}}}};
}

}  // namespace netcp
