#include "resume_9p.hpp"

#include "content_digest.hpp"
#include "remote.hpp"

namespace netcp {

namespace {

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
    r.may_resume = options.resume && options.write_mode != Options::WriteMode::raw_pipeline;
    r.journal = open_upload_journal("9p\0" + remote.endpoint() + '\0' + options.aname + '\0' + remote_path + '\0' +
                                        options.uname,
                                    {{"kind", "9p-upload"},
                                     {"where", where(remote, options, remote_path)},
                                     {"uname", options.uname}},
                                    local, st, r.may_resume);
    const auto& earlier = r.journal.earlier;
    const auto [parent, name] = split_parent(remote_path);
    if (r.journal.may_take_up && is_partial_name(earlier->partial, name)) {
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
            const uint64_t from = upload_resume_point(std::min(earlier->prefix, a->size), size);
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
        if (!r.note.empty()) r.note = not_resuming(r.note);
    }
    // The journal's name is this destination's and source's: an earlier partial file it
    // names that is not taken up is of no more use. Remove it (by name, in the
    // destination's directory, and only a name this upload would have chosen).
    if (earlier && !r.file && is_partial_name(earlier->partial, name)) {
        if (auto d = remote.directory(parent)) (void)remote.client().unlinkat(**d, earlier->partial, 0);
    }
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
