#include <doctest/doctest.h>

#include <cerrno>

#include "libafs/error.hpp"

using namespace afs;

TEST_CASE("abort codes map to errno where the fileserver sent one") {
    CHECK(abort_error(13) == std::errc::permission_denied);
    CHECK(abort_error(2) == std::errc::no_such_file_or_directory);
    CHECK(abort_error(39) == std::errc::directory_not_empty);
    CHECK(abort_error(49733388) == std::errc::permission_denied);  // UAEACCES
    CHECK(abort_error(49733377) == std::errc::no_such_file_or_directory);  // UAENOENT
}

TEST_CASE("volume, Rx and rxkad codes keep their names") {
    auto busy = abort_error(abort_code::VBUSY);
    CHECK(busy.category() == abort_category());
    CHECK(busy.message() == "VBUSY (110): volume is busy");
    CHECK(is_volume_busy(busy));
    CHECK(is_volume_busy(abort_error(abort_code::VOFFLINE)));
    CHECK(!is_volume_busy(abort_error(13)));
    CHECK(is_volume_moved(abort_error(abort_code::VMOVED)));
    CHECK(is_volume_moved(abort_error(abort_code::VNOVOL)));
    CHECK(abort_error(abort_code::RX_CALL_DEAD) == std::errc::timed_out);
    CHECK(abort_error(abort_code::VL_NOENT) == std::errc::no_such_file_or_directory);
    CHECK(abort_error(abort_code::RXKADEXPIRED).message().find("RXKADEXPIRED") != std::string::npos);
    CHECK(abort_error(123456789).message() == "AFS error 123456789");
}

TEST_CASE("key errors are recognised for key switching") {
    CHECK(is_key_error(abort_error(13)));
    CHECK(is_key_error(abort_error(49733388)));
    CHECK(is_key_error(abort_error(abort_code::RXKADBADTICKET)));
    CHECK(is_key_error(abort_error(abort_code::RXKADEXPIRED)));
    CHECK(is_key_error(abort_error(abort_code::VICETOKENDEAD)));
    CHECK(!is_key_error(abort_error(abort_code::VBUSY)));
    CHECK(!is_key_error(abort_error(2)));
}

TEST_CASE("local errors become abort codes") {
    CHECK(to_abort_code(abort_error(abort_code::VBUSY)) == abort_code::VBUSY);
    CHECK(to_abort_code(std::make_error_code(std::errc::permission_denied)) == EACCES);
    CHECK(to_abort_code(errc::cancelled) == abort_code::RX_USER_ABORT);
    CHECK(to_abort_code(errc::truncated) == abort_code::RX_PROTOCOL_ERROR);
    CHECK(make_error_code(errc::timed_out) == std::errc::timed_out);
}
