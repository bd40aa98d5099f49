#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "netns.hpp"

namespace {

// How many test cases the run's filters selected. CTest runs one case per test with
// --test-case=NAME; a name CMake mangled (a ';' in it splits the name into two tests)
// selects none, and doctest would call that a success. Such a test fails here instead.
unsigned selected_cases = 0;

struct SelectionListener : doctest::IReporter {
    explicit SelectionListener(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats& stats) override { selected_cases = stats.numTestCasesPassingFilters; }
    void test_case_start(const doctest::TestCaseData&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("selection", 1, SelectionListener);

bool names_one_test_case(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--test-case=", 12) == 0 || std::strncmp(argv[i], "-tc=", 4) == 0) return true;
    return false;
}

bool only_lists(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--list", 6) == 0 || std::strncmp(argv[i], "-l", 2) == 0 ||
            std::strncmp(argv[i], "-h", 2) == 0 || std::strncmp(argv[i], "--help", 6) == 0 ||
            std::strncmp(argv[i], "--count", 7) == 0 || std::strncmp(argv[i], "-c", 2) == 0)
            return true;
    return false;
}

// netcp keeps upload resume journals in the user's state directory: a test's netcp runs
// keep theirs in one private directory of this test process instead (not in $HOME, and
// not shared with other tests running at the same time), removed at the end.
struct PrivateStateDir {
    std::string path;
    PrivateStateDir() {
        if (std::getenv("NETCP_STATE_DIR")) return;  // a test run that chose one
        char tmpl[] = "/tmp/netcp-test-state.XXXXXX";
        if (!::mkdtemp(tmpl)) return;
        path = tmpl;
        ::setenv("NETCP_STATE_DIR", path.c_str(), 1);
    }
    ~PrivateStateDir() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

int main(int argc, char** argv) {
    testutil::enter_private_netns_if_asked();
    PrivateStateDir state;
    const int rc = doctest::Context(argc, argv).run();
    if (rc == 0 && selected_cases == 0 && names_one_test_case(argc, argv) && !only_lists(argc, argv)) {
        std::fprintf(stderr, "no test case matches the name given (a ';' in a test case's name splits it in CTest): "
                             "nothing ran, so this test fails\n");
        return 1;
    }
    return rc;
}
