#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "netns.hpp"

int main(int argc, char** argv) {
    testutil::enter_private_netns_if_asked();
    return doctest::Context(argc, argv).run();
}
