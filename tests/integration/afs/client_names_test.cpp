// Names against the real cell: VL lookups (GetEntryByNameU + GetAddrsU, GetEntryByNameN),
// path resolution through root.cell and the test volume's mount point, directories and
// their cache, and what errors say.
#include <doctest/doctest.h>

#include "afs_cell.hpp"
#include "libafs/wire/vl.hpp"

using namespace afs;
using namespace afs::client;
using afstest::AfsCell;

TEST_CASE("VL: GetEntryByNameU and GetAddrsU locate the test volume on 127.1.0.1:7000") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    auto v = c->lookup_volume(cell.cell, "test");
    REQUIRE_MESSAGE(v, v.error().message());
    CHECK(v->location.name == "test");
    CHECK(v->location.id(wire::VolumeType::rw) == cell.test_volume_id);
    CHECK(v->location.exists(wire::VolumeType::rw));
    // OpenAFS 1.8 fileservers register by UUID: the entry names the server by UUID and
    // GetAddrsU gave its address.
    REQUIRE(!v->location.sites.empty());
    CHECK(v->location.sites[0].uuid.has_value());
    REQUIRE(v->servers_for(wire::VolumeType::rw).size() == 1);
    CHECK(to_string(v->servers_for(wire::VolumeType::rw)[0]) == "127.1.0.1:7000");
    const auto s1 = c->async().stats();
    CHECK(s1.vl_calls == 2);  // GetEntryByNameU, GetAddrsU

    // By id, and again by name: from the cache, no VL call.
    auto by_id = c->lookup_volume(cell.cell, std::to_string(cell.test_volume_id));
    REQUIRE_MESSAGE(by_id, by_id.error().message());
    CHECK(by_id->location.name == "test");
    CHECK(c->async().stats().vl_calls == 2);
}

TEST_CASE("VL: GetEntryByNameN gives the same location") {
    const auto& cell = AfsCell::get();
    auto options = cell.options();
    options.vl_uuid_interface = false;
    auto c = cell.client(options);
    auto v = c->lookup_volume(cell.cell, "root.cell");
    REQUIRE_MESSAGE(v, v.error().message());
    CHECK(v->location.name == "root.cell");
    CHECK(v->location.id(wire::VolumeType::rw) == static_cast<uint32_t>(std::stoul(cell["AFS_ROOT_CELL_VOLUME_ID"])));
    REQUIRE(!v->location.sites.empty());
    CHECK(!v->location.sites[0].uuid.has_value());
    REQUIRE(v->servers_for(wire::VolumeType::rw).size() == 1);
    CHECK(to_string(v->servers_for(wire::VolumeType::rw)[0]) == "127.1.0.1:7000");
    CHECK(c->async().stats().vl_calls == 1);
    // And a whole path resolves with it.
    auto node = c->resolve(anonymous(), cell.pub_file);
    REQUIRE_MESSAGE(node, node.error().message());
    CHECK(node->status.is_file());
}

TEST_CASE("VL: a volume that does not exist is VL_NOENT, named in the message") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    auto v = c->lookup_volume(cell.cell, "no.such.volume");
    REQUIRE(!v);
    CHECK(v.error().code == abort_error(abort_code::VL_NOENT));
    CHECK(v.error().code == std::errc::no_such_file_or_directory);
    const std::string m = v.error().message();
    MESSAGE(m);
    CHECK(m.find("VL_GetEntryByNameU") != std::string::npos);
    CHECK(m.find("no.such.volume") != std::string::npos);
    CHECK(m.find("127.1.0.1:7003") != std::string::npos);
    CHECK(m.find("VL_NOENT") != std::string::npos);
    // A RO suffix on a volume without a replica.
    auto ro = c->lookup_volume(cell.cell, "test.readonly");
    REQUIRE(!ro);
    CHECK(ro.error().code == errc::no_such_volume);
}

TEST_CASE("resolves /afs/CELL/test/pub/hello.txt anonymously and reads it") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    auto node = c->resolve(anonymous(), cell.pub_file);
    REQUIRE_MESSAGE(node, node.error().message());
    CHECK(node->status.is_file());
    CHECK(node->ref.fid.volume == cell.test_volume_id);
    CHECK(node->name == "hello.txt");
    CHECK(node->path == cell.pub_file);
    auto data = c->read_file(anonymous(), cell.pub_file);
    REQUIRE_MESSAGE(data, data.error().message());
    CHECK(std::string(reinterpret_cast<const char*>(data->data()), data->size()) == cell.pub_text + "\n");
}

TEST_CASE("path forms: afs:// URLs, /afs/.CELL, a path ending at a mount point, . and ..") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    auto a = c->resolve(anonymous(), cell.pub_file);
    REQUIRE_MESSAGE(a, a.error().message());
    auto url = c->resolve(anonymous(), "afs://" + cell.cell + "/test/pub/hello%2etxt");
    REQUIRE_MESSAGE(url, url.error().message());
    CHECK(url->ref == a->ref);
    auto rw = c->resolve(anonymous(), "/afs/." + cell.cell + "/test/./pub/../pub/hello.txt");
    REQUIRE_MESSAGE(rw, rw.error().message());
    CHECK(rw->ref == a->ref);
    // "/afs/CELL/test" is the mount point in root.cell: it means the test volume's root.
    auto root = c->resolve(anonymous(), cell.test_dir);
    REQUIRE_MESSAGE(root, root.error().message());
    CHECK(root->ref.fid == wire::AFSFid::root_of(cell.test_volume_id));
    CHECK(root->status.is_directory());
    auto cell_root = c->resolve(anonymous(), "/afs/" + cell.cell);
    REQUIRE_MESSAGE(cell_root, cell_root.error().message());
    CHECK(cell_root->ref.fid.vnode == 1);
    CHECK(cell_root->ref.fid.volume == static_cast<uint32_t>(std::stoul(cell["AFS_ROOT_CELL_VOLUME_ID"])));
}

TEST_CASE("missing names, files used as directories, unknown cells: clear errors") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    auto missing = c->resolve(anonymous(), cell.pub_dir + "/no-such-file");
    REQUIRE(!missing);
    CHECK(missing.error().code == std::errc::no_such_file_or_directory);
    MESSAGE(missing.error().message());
    CHECK(missing.error().message().find(cell.pub_dir + "/no-such-file") != std::string::npos);

    auto under_file = c->resolve(anonymous(), cell.pub_file + "/x");
    REQUIRE(!under_file);
    CHECK(under_file.error().code == std::errc::not_a_directory);

    auto no_cell = c->resolve(anonymous(), "/afs/unknown.example/x");
    REQUIRE(!no_cell);
    CHECK(no_cell.error().code == errc::no_such_cell);
    MESSAGE(no_cell.error().message());

    auto bad = c->resolve(anonymous(), "/tmp/x");
    REQUIRE(!bad);
    CHECK(bad.error().code == std::errc::invalid_argument);

    // Anonymous may not even list admin-only: the refusal names the directory.
    auto refused = c->resolve(anonymous(), cell.admin_only_dir + "/secret.txt");
    REQUIRE(!refused);
    CHECK(refused.error().code == std::errc::permission_denied);
    MESSAGE(refused.error().message());
    CHECK(refused.error().message().find("admin-only") != std::string::npos);
}

TEST_CASE("directories: listed, cached by data version, refetched after a change") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    auto dir = c->resolve(anonymous(), cell.test_dir);
    REQUIRE_MESSAGE(dir, dir.error().message());
    auto listing = c->read_directory(anonymous(), dir->ref);
    REQUIRE_MESSAGE(listing, listing.error().message());
    std::vector<std::string> names;
    for (const auto& e : listing->directory->entries()) names.push_back(e.name);
    for (const char* n : {".", "..", "pub", "anon-rw", "bob-only", "admin-only"})
        CHECK_MESSAGE(std::find(names.begin(), names.end(), n) != names.end(), n);

    REQUIRE(c->resolve(anonymous(), cell.pub_file));
    const auto before = c->async().stats();
    auto again = c->resolve(anonymous(), cell.pub_file);
    REQUIRE(again);
    const auto after = c->async().stats();
    CHECK(after.directory_misses == before.directory_misses);  // root.cell, test and pub are all cached
    CHECK(after.directory_hits >= before.directory_hits + 3);

    // A new file in anon-rw changes its data version: the next lookup fetches it again.
    const std::string name = AfsCell::unique_name("dircache");
    auto created = c->create_file(anonymous(), cell.anon_rw_dir + "/" + name);
    REQUIRE_MESSAGE(created, created.error().message());
    auto found = c->resolve(anonymous(), cell.anon_rw_dir + "/" + name);
    REQUIRE_MESSAGE(found, found.error().message());
    CHECK(found->ref == created->file);
    CHECK(c->remove_file(anonymous(), cell.anon_rw_dir + "/" + name));
    auto gone = c->resolve(anonymous(), cell.anon_rw_dir + "/" + name);
    REQUIRE(!gone);
    CHECK(gone.error().code == std::errc::no_such_file_or_directory);
}
