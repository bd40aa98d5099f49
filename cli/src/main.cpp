// netcp: copy files to and from 9P2000.L servers. See `netcp --help`.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "cache_command.hpp"
#include "exit_codes.hpp"
#include "copy.hpp"
#include "options.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
    auto parsed = netcp::parse_command_line(argc, argv);
    if (parsed.cache_command) return netcp::run_cache_command(*parsed.cache_command);
    if (!parsed.options) {
        // A script that asked for JSON gets it for a usage error too.
        const char* env = std::getenv("NETCP_JSON");
        const bool json = std::any_of(argv + 1, argv + argc, [](const char* a) { return std::strcmp(a, "--json") == 0; }) ||
                          (env && *env && std::strcmp(env, "0") != 0 && std::strcmp(env, "false") != 0);
        if (json && parsed.exit_code == netcp::exit_usage) netcp::report_usage_error_json();
        return parsed.exit_code;
    }
    netcp::install_interrupt_handler();
    return netcp::run_copy(*parsed.options);
}
