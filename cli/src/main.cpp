// netcp: copy files to and from 9P2000.L servers. See `netcp --help`.
#include "cache_command.hpp"
#include "copy.hpp"
#include "options.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
    auto parsed = netcp::parse_command_line(argc, argv);
    if (parsed.cache_command) return netcp::run_cache_command(*parsed.cache_command);
    if (!parsed.options) return parsed.exit_code;
    netcp::install_interrupt_handler();
    return netcp::run_copy(*parsed.options);
}
