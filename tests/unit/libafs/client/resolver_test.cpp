// Path resolution against an in-memory cell: directories built with the fileserver's
// layout (DirectoryBuilder), mount points, symbolic links, read-only replicas, errors.
#include <doctest/doctest.h>

#include <future>
#include <map>
#include <mutex>

#include "libafs/client/resolver.hpp"
#include "libafs/error.hpp"
#include "libafs/wire/dir_builder.hpp"

using namespace afs;
using namespace afs::client;
using wire::AFSFid;
using wire::VolumeType;

namespace {

// A cell (or two) in memory, answering the resolver inline or from other threads.
class FakeCells : public ResolverBackend {
public:
    struct Volume {
        uint32_t rw = 0, ro = 0;
    };

    bool asynchronous = false;
    std::map<std::string, std::error_code> status_errors;  // by FileRef text
    int status_calls = 0, directory_calls = 0, link_calls = 0, mount_calls = 0;

    ~FakeCells() override { drain(); }

    void add_volume(const std::string& cell, const std::string& name, uint32_t rw, uint32_t ro = 0) {
        volumes_[{cell, name}] = Volume{rw, ro};
        for (uint32_t id : {rw, ro})
            if (id) add_dir_node({cell, AFSFid::root_of(id)}, AFSFid::root_of(id));
    }

    // Adds an entry to directory `dir`; returns the new file's ref.
    FileRef add(const FileRef& dir, const std::string& name, uint32_t type, const std::string& contents = {},
                uint32_t mode = 0644) {
        const FileRef f{dir.cell, {dir.fid.volume, next_vnode_++, 7}};
        auto& parent = nodes_.at(key(dir));
        REQUIRE(!parent.builder->add(name, f.fid.vnode, f.fid.unique));
        if (type == wire::file_type::directory) {
            add_dir_node(f, dir.fid);
        } else {
            Node n;
            n.status.file_type = type;
            n.status.unix_mode_bits = mode;
            n.status.set_length(contents.size());
            n.contents = contents;
            nodes_[key(f)] = std::move(n);
        }
        parent.status.set_data_version(parent.status.data_version() + 1);
        return f;
    }
    FileRef dir(const FileRef& in, const std::string& name) { return add(in, name, wire::file_type::directory); }
    FileRef file(const FileRef& in, const std::string& name) { return add(in, name, wire::file_type::file, "data"); }
    FileRef symlink(const FileRef& in, const std::string& name, const std::string& to) {
        return add(in, name, wire::file_type::symlink, to, 0755);
    }
    FileRef mount(const FileRef& in, const std::string& name, const std::string& to) {
        return add(in, name, wire::file_type::symlink, to, 0644);
    }

    void mount_target(const std::string& cell, const wire::MountPoint& mount, VolumeType parent_type,
                      Callback<VolumeRoot> done) override {
        ++mount_calls;
        const auto split = wire::split_volume_name(mount.volume);
        const auto it = volumes_.find({cell, split.base});
        if (it == volumes_.end()) return answer(std::move(done), make_error_code(errc::no_such_volume), VolumeRoot{});
        const auto type = wire::mount_target_type(mount, parent_type, it->second.ro != 0);
        const uint32_t id = type == VolumeType::ro ? it->second.ro : it->second.rw;
        if (!id) return answer(std::move(done), make_error_code(errc::no_such_volume), VolumeRoot{});
        answer(std::move(done), {}, VolumeRoot{FileRef{cell, AFSFid::root_of(id)}, type});
    }

    void fetch_status(const FileRef& f, Callback<wire::AFSFetchStatus> done) override {
        ++status_calls;
        if (auto e = status_errors.find(f.to_string()); e != status_errors.end())
            return answer(std::move(done), e->second, wire::AFSFetchStatus{});
        const auto it = nodes_.find(key(f));
        if (it == nodes_.end())
            return answer(std::move(done), abort_error(abort_code::VNOVNODE), wire::AFSFetchStatus{});
        answer(std::move(done), {}, it->second.status);
    }

    void read_directory(const FileRef& d, const wire::AFSFetchStatus&,
                        Callback<std::shared_ptr<const wire::dir::Directory>> done) override {
        ++directory_calls;
        auto parsed = wire::dir::Directory::parse(nodes_.at(key(d)).builder->bytes());
        REQUIRE(parsed);
        answer(std::move(done), {}, std::make_shared<const wire::dir::Directory>(std::move(*parsed)));
    }

    void read_link(const FileRef& l, const wire::AFSFetchStatus&, Callback<std::string> done) override {
        ++link_calls;
        answer(std::move(done), {}, nodes_.at(key(l)).contents);
    }

    // Waits for every answer given from another thread (answers may start more).
    void drain() {
        for (int round = 0; round < 100000; ++round) {
            std::vector<std::future<void>> pending;
            {
                std::lock_guard lock(mutex_);
                pending.swap(pending_);
            }
            if (pending.empty()) return;
            for (auto& f : pending) f.get();
        }
    }

private:
    struct Node {
        wire::AFSFetchStatus status;
        std::shared_ptr<wire::dir::DirectoryBuilder> builder;
        std::string contents;
    };

    static std::string key(const FileRef& f) { return f.to_string(); }

    void add_dir_node(const FileRef& f, const AFSFid& parent) {
        Node n;
        n.status.file_type = wire::file_type::directory;
        n.status.unix_mode_bits = 0755;
        n.builder = std::make_shared<wire::dir::DirectoryBuilder>(f.fid.vnode, f.fid.unique, parent.vnode, parent.unique);
        n.status.set_length(n.builder->bytes().size());
        n.status.set_data_version(1);
        nodes_[key(f)] = std::move(n);
    }

    template <class T>
    void answer(Callback<T> done, std::error_code ec, T value) {
        if (!asynchronous) return done(ec, std::move(value));
        std::lock_guard lock(mutex_);
        pending_.push_back(std::async(std::launch::async, [done = std::move(done), ec, v = std::move(value)]() mutable {
            done(ec, std::move(v));
        }));
    }

    std::map<std::pair<std::string, std::string>, Volume> volumes_;
    std::map<std::string, Node> nodes_;
    uint32_t next_vnode_ = 2;
    std::mutex mutex_;
    std::vector<std::future<void>> pending_;
};

struct World {
    std::shared_ptr<FakeCells> cells = std::make_shared<FakeCells>();
    FileRef ro_root, rw_root, proj, a, d, b, up, other_hello;

    World() {
        auto& c = *cells;
        c.add_volume("example.org", "root.cell", 100, 101);
        c.add_volume("example.org", "proj", 200);
        c.add_volume("other.org", "root.cell", 300);
        ro_root = {"example.org", AFSFid::root_of(101)};
        rw_root = {"example.org", AFSFid::root_of(100)};
        proj = {"example.org", AFSFid::root_of(200)};
        c.mount(ro_root, "proj", "#proj.");
        c.mount(ro_root, "rwproj", "%proj.");
        c.mount(ro_root, "other", "#other.org:root.cell.");
        c.mount(ro_root, "gone", "#no.such.volume.");
        c.symlink(ro_root, "link-abs", "/afs/example.org/proj/a");
        c.dir(rw_root, "rwonly");
        a = c.file(proj, "a");
        d = c.dir(proj, "dir");
        b = c.file(d, "b");
        up = c.symlink(d, "up", "../a");
        c.symlink(d, "loop", "loop");
        c.symlink(d, "abs", "/afs/example.org/proj/dir");
        c.symlink(d, "out", "/etc/passwd");
        c.symlink(d, "fake-mount", "#proj.");  // execute bits: a symlink, not a mount point
        other_hello = c.file({"other.org", AFSFid::root_of(300)}, "hello");
    }

    std::pair<std::error_code, Node> resolve(const std::string& path, ResolveOptions options = {}) {
        auto parsed = wire::parse_afs_path(path);
        REQUIRE(parsed);
        std::promise<std::pair<std::error_code, Node>> p;
        resolve_path(cells, *parsed, options, [&p](std::error_code ec, Node n) { p.set_value({ec, std::move(n)}); });
        auto r = p.get_future().get();
        cells->drain();
        return r;
    }
};

ResolveOptions parent_only() {
    ResolveOptions o;
    o.parent_only = true;
    return o;
}

}  // namespace

TEST_CASE("the cell root is root.cell, read-only when it has a replica, read-write with /afs/.CELL") {
    World w;
    auto [ec, n] = w.resolve("/afs/example.org");
    REQUIRE(!ec);
    CHECK(n.ref == w.ro_root);
    CHECK(n.volume_type == VolumeType::ro);
    CHECK(n.status.is_directory());
    CHECK(n.path == "/afs/example.org");
    auto [ec2, n2] = w.resolve("/afs/.example.org/rwonly");
    REQUIRE(!ec2);
    CHECK(n2.volume_type == VolumeType::rw);
    CHECK(n2.parent == w.rw_root);
    auto [ec3, n3] = w.resolve("/afs/example.org/rwonly");
    CHECK(ec3 == std::errc::no_such_file_or_directory);
    CHECK(n3.path == "/afs/example.org");
    CHECK(n3.name == "rwonly");
}

TEST_CASE("names through a mount point into another volume") {
    World w;
    for (bool async : {false, true}) {
        CAPTURE(async);
        w.cells->asynchronous = async;
        auto [ec, n] = w.resolve("/afs/example.org/proj/dir/b");
        REQUIRE(!ec);
        CHECK(n.ref == w.b);
        CHECK(n.parent == w.d);
        CHECK(n.name == "b");
        CHECK(n.status.is_file());
        // proj has no replica: '#' from a read-only volume still leads to its RW volume.
        CHECK(n.volume_type == VolumeType::rw);
        CHECK(n.path == "/afs/example.org/proj/dir/b");
    }
    // '%' and a cell-qualified mount point.
    auto [ec2, n2] = w.resolve("/afs/example.org/rwproj/a");
    REQUIRE(!ec2);
    CHECK(n2.ref == w.a);
    auto [ec3, n3] = w.resolve("/afs/example.org/other/hello");
    REQUIRE(!ec3);
    CHECK(n3.ref == w.other_hello);
    CHECK(n3.ref.cell == "other.org");
}

TEST_CASE("a path ending at a mount point means the volume's root, whatever follow_last_symlink says") {
    World w;
    for (bool follow : {true, false}) {
        ResolveOptions o;
        o.follow_last_symlink = follow;
        auto [ec, n] = w.resolve("/afs/example.org/proj", o);
        REQUIRE(!ec);
        CHECK(n.ref == w.proj);
        CHECK(n.status.is_directory());
        CHECK(n.parent == w.ro_root);
        CHECK(n.name == "proj");
    }
}

TEST_CASE("symbolic links: relative, absolute, as the last name, loops, outside AFS") {
    World w;
    auto [ec, n] = w.resolve("/afs/example.org/proj/dir/up");
    REQUIRE(!ec);
    CHECK(n.ref == w.a);
    auto [ec2, n2] = w.resolve("/afs/example.org/link-abs");
    REQUIRE(!ec2);
    CHECK(n2.ref == w.a);
    auto [ec3, n3] = w.resolve("/afs/example.org/proj/dir/abs/b");
    REQUIRE(!ec3);
    CHECK(n3.ref == w.b);

    ResolveOptions no_follow;
    no_follow.follow_last_symlink = false;
    auto [ec4, n4] = w.resolve("/afs/example.org/proj/dir/up", no_follow);
    REQUIRE(!ec4);
    CHECK(n4.ref == w.up);
    CHECK(n4.status.is_symlink());

    auto [ec5, n5] = w.resolve("/afs/example.org/proj/dir/loop");
    CHECK(ec5 == std::errc::too_many_symbolic_link_levels);
    ResolveOptions few;
    few.max_symlinks = 1;
    auto [ec6, n6] = w.resolve("/afs/example.org/proj/dir/abs/up", few);
    CHECK(ec6 == std::errc::too_many_symbolic_link_levels);
    auto [ec7, n7] = w.resolve("/afs/example.org/proj/dir/out");
    CHECK(ec7 == std::errc::cross_device_link);
    // A symlink whose contents look like a mount point but which has execute bits is a link
    // to a file named "#proj." next to it.
    auto [ec8, n8] = w.resolve("/afs/example.org/proj/dir/fake-mount");
    CHECK(ec8 == std::errc::no_such_file_or_directory);
    CHECK(n8.name == "#proj.");
}

TEST_CASE("parent_only: the directory that holds the last name, which need not exist") {
    World w;
    auto [ec, n] = w.resolve("/afs/example.org/proj/dir/new-file", parent_only());
    REQUIRE(!ec);
    CHECK(n.ref == w.d);
    CHECK(n.name == "new-file");
    CHECK(n.status.is_directory());
    // Symlinks before the last name are followed.
    auto [ec2, n2] = w.resolve("/afs/example.org/proj/dir/abs/x", parent_only());
    REQUIRE(!ec2);
    CHECK(n2.ref == w.d);
    CHECK(n2.name == "x");
    auto [ec3, n3] = w.resolve("/afs/example.org", parent_only());
    CHECK(ec3 == std::errc::invalid_argument);
    auto [ec4, n4] = w.resolve("/afs/example.org/proj/a/x", parent_only());
    CHECK(ec4 == std::errc::not_a_directory);
}

TEST_CASE("errors: names under files, missing volumes, refused status, step limit") {
    World w;
    auto [ec, n] = w.resolve("/afs/example.org/proj/a/x");
    CHECK(ec == std::errc::not_a_directory);
    CHECK(n.path == "/afs/example.org/proj/a");
    CHECK(n.name == "x");
    auto [ec2, n2] = w.resolve("/afs/example.org/gone/x");
    CHECK(ec2 == errc::no_such_volume);
    auto [ec3, n3] = w.resolve("/afs/nowhere.org/x");
    CHECK(ec3 == errc::no_such_volume);

    w.cells->status_errors[w.d.to_string()] = std::make_error_code(std::errc::permission_denied);
    auto [ec4, n4] = w.resolve("/afs/example.org/proj/dir/b");
    CHECK(ec4 == std::errc::permission_denied);
    CHECK(n4.path == "/afs/example.org/proj");
    CHECK(n4.name == "dir");
    w.cells->status_errors.clear();

    ResolveOptions tight;
    tight.max_steps = 2;
    auto [ec5, n5] = w.resolve("/afs/example.org/proj/dir/b", tight);
    CHECK(ec5 == std::errc::too_many_symbolic_link_levels);
}

TEST_CASE("deep paths do not grow the stack with inline answers") {
    World w;
    FileRef cur = w.proj;
    std::string path = "/afs/example.org/proj";
    for (int i = 0; i < 300; ++i) {
        std::string name = "d";  // appended, not "d" + s: GCC 12 -O3 warns falsely (-Wrestrict)
        name += std::to_string(i);
        cur = w.cells->dir(cur, name);
        path += '/';
        path += name;
    }
    auto [ec, n] = w.resolve(path);
    REQUIRE(!ec);
    CHECK(n.ref == cur);
    CHECK(w.cells->directory_calls >= 300);
}

TEST_CASE("mount point recognition by mode") {
    wire::AFSFetchStatus s;
    s.file_type = wire::file_type::symlink;
    s.unix_mode_bits = 0644;
    CHECK(looks_like_mount_point(s));
    s.unix_mode_bits = 0755;
    CHECK(!looks_like_mount_point(s));
    s.file_type = wire::file_type::file;
    s.unix_mode_bits = 0644;
    CHECK(!looks_like_mount_point(s));
}
