// Names against the real cell: VL lookups, path resolution through root.cell and the test
// volume's mount point, directories and their cache, and what errors say.
#include <doctest/doctest.h>

#include "afs_cell.hpp"

using namespace afs;
using namespace afs::client;
using afstest::AfsCell;

TEST_CASE("resolves /afs/CELL/test/pub/hello.txt anonymously and reads it") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    auto node = c->resolve(anonymous(), cell.pub_file);
    REQUIRE_MESSAGE(node, node.error().message());
    CHECK(node->status.is_file());
    CHECK(node->ref.fid.volume == cell.test_volume_id);
    auto data = c->read_file(anonymous(), cell.pub_file);
    REQUIRE_MESSAGE(data, data.error().message());
    CHECK(std::string(reinterpret_cast<const char*>(data->data()), data->size()) == cell.pub_text + "\n");
}
