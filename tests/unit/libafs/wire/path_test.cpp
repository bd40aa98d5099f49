// AFS paths, mount points and volume names.
#include <doctest/doctest.h>

#include "libafs/wire/path.hpp"

using namespace afs;
using namespace afs::wire;

TEST_CASE("/afs paths and afs:// URLs") {
    auto p = parse_afs_path("/afs/Example.COM/home/alice/notes.txt");
    REQUIRE(p);
    CHECK(p->cell == "example.com");
    CHECK(!p->read_write);
    CHECK(p->components == std::vector<std::string>{"home", "alice", "notes.txt"});
    CHECK(to_string(*p) == "/afs/example.com/home/alice/notes.txt");

    auto u = parse_afs_path("afs://example.com/home/alice/my%20file");
    REQUIRE(u);
    CHECK(u->cell == "example.com");
    CHECK(u->components.back() == "my file");
    // Percent signs are literal in the /afs form.
    CHECK(parse_afs_path("/afs/example.com/100%25")->components.back() == "100%25");

    auto rw = parse_afs_path("/afs/.example.com/");
    REQUIRE(rw);
    CHECK(rw->read_write);
    CHECK(rw->components.empty());
    CHECK(to_string(*rw) == "/afs/.example.com");
    CHECK(parse_afs_path("/afs/example.com")->components.empty());
}

TEST_CASE("path components are resolved lexically") {
    CHECK(parse_afs_path("/afs/c//a/./b/../d/")->components == std::vector<std::string>{"a", "d"});
    CHECK(parse_afs_path("/afs/c/a/..")->components.empty());
    CHECK(parse_afs_path("/afs/c/..").error() == errc::bad_value);
    CHECK(parse_afs_path("afs://c/a/%2E%2E/%2E%2E").error() == errc::bad_value);
    CHECK(parse_afs_path("afs://c/a%2Fb").error() == errc::bad_value);
    CHECK(parse_afs_path("afs://c/a%00b").error() == errc::bad_value);
    CHECK(parse_afs_path("/afs/c/" + std::string(257, 'x')).error() == errc::too_large);
    CHECK(parse_afs_path("/afs/c/" + std::string(256, 'x')));
}

TEST_CASE("what is not an AFS path") {
    CHECK(parse_afs_path("/tmp/x").error() == errc::bad_value);
    CHECK(parse_afs_path("/afs").error() == errc::bad_value);
    CHECK(parse_afs_path("/afs/").error() == errc::bad_value);
    CHECK(parse_afs_path("/afs/./x").error() == errc::bad_value);
    CHECK(parse_afs_path("/afs/bad cell/x").error() == errc::bad_value);
    CHECK(parse_afs_path("afs://").error() == errc::bad_value);
    CHECK(parse_afs_path("9p://host/x").error() == errc::bad_value);
    CHECK(is_afs_path("/afs/x"));
    CHECK(is_afs_path("afs://x/y"));
    CHECK(is_afs_path("/afs"));
    CHECK(!is_afs_path("/afsx/y"));
    CHECK(!is_afs_path("./afs/y"));
}

TEST_CASE("cell names and entry names") {
    CHECK(is_valid_cell_name("grand.central.org"));
    CHECK(is_valid_cell_name("my-cell_1"));
    CHECK(!is_valid_cell_name(""));
    CHECK(!is_valid_cell_name(".x"));
    CHECK(!is_valid_cell_name("x."));
    CHECK(!is_valid_cell_name("a/b"));
    CHECK(!is_valid_cell_name(std::string(65, 'c')));
    CHECK(is_valid_name("file.txt"));
    CHECK(is_valid_name(std::string(256, 'n')));
    CHECK(!is_valid_name(std::string(257, 'n')));
    CHECK(!is_valid_name("."));
    CHECK(!is_valid_name(".."));
    CHECK(!is_valid_name("a/b"));
    CHECK(!is_valid_name(std::string("a\0b", 3)));
    CHECK(!is_valid_name(""));
}

TEST_CASE("mount points") {
    auto m = parse_mount_point("#root.cell.");
    REQUIRE(m);
    CHECK(m->kind == '#');
    CHECK(m->cell.empty());
    CHECK(m->volume == "root.cell");

    auto x = parse_mount_point("%example.com:home.alice.");
    REQUIRE(x);
    CHECK(x->kind == '%');
    CHECK(x->cell == "example.com");
    CHECK(x->volume == "home.alice");
    CHECK(format_mount_point(*x) == "%example.com:home.alice.");
    CHECK(format_mount_point(*m) == "#root.cell.");

    CHECK(parse_mount_point(std::string("#vol.\0", 6))->volume == "vol");
    CHECK(parse_mount_point("#vol.readonly.")->volume == "vol.readonly");
    CHECK(parse_mount_point("#vol").error() == errc::bad_value);   // no final dot: a plain symlink
    CHECK(parse_mount_point("../x.").error() == errc::bad_value);
    CHECK(parse_mount_point("#.").error() == errc::bad_value);
    CHECK(parse_mount_point("#:vol.").error() == errc::bad_value);
    CHECK(parse_mount_point("#cell:.").error() == errc::bad_value);
    CHECK(parse_mount_point("#a:b:c.").error() == errc::bad_value);
    CHECK(parse_mount_point("#a/b.").error() == errc::bad_value);
    CHECK(parse_mount_point("#" + std::string(65, 'v') + ".").error() == errc::too_large);
}

TEST_CASE("volume names and types") {
    CHECK(split_volume_name("root.cell") == VolumeName{"root.cell", std::nullopt});
    CHECK(split_volume_name("root.cell.readonly") == VolumeName{"root.cell", VolumeType::ro});
    CHECK(split_volume_name("user.bob.backup") == VolumeName{"user.bob", VolumeType::backup});
    CHECK(split_volume_name(".readonly") == VolumeName{".readonly", std::nullopt});
    CHECK(split_volume_name("x.readonlyx") == VolumeName{"x.readonlyx", std::nullopt});
    CHECK(parse_volume_id("536870912") == 536870912u);
    CHECK(!parse_volume_id("5368709120"));
    CHECK(!parse_volume_id("12a"));
    CHECK(!parse_volume_id("-1"));
    CHECK(!parse_volume_id(""));
}

TEST_CASE("which volume type a mount point leads to") {
    const MountPoint regular{'#', "", "proj"};
    const MountPoint rw{'%', "", "proj"};
    CHECK(mount_target_type(regular, VolumeType::ro, true) == VolumeType::ro);
    CHECK(mount_target_type(regular, VolumeType::ro, false) == VolumeType::rw);
    CHECK(mount_target_type(regular, VolumeType::rw, true) == VolumeType::rw);
    CHECK(mount_target_type(regular, VolumeType::backup, true) == VolumeType::rw);
    CHECK(mount_target_type(rw, VolumeType::ro, true) == VolumeType::rw);
    CHECK(mount_target_type({'#', "", "proj.readonly"}, VolumeType::rw, true) == VolumeType::ro);
    CHECK(mount_target_type({'#', "", "proj.backup"}, VolumeType::rw, true) == VolumeType::backup);
    CHECK(mount_target_type({'#', "", "proj.backup"}, VolumeType::backup, true) == VolumeType::rw);
}
