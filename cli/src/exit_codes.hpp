// netcp's exit codes. Fixed: scripts depend on them.
#pragma once

namespace netcp {

enum ExitCode : int {
    exit_ok = 0,             // everything requested was copied
    exit_error = 1,          // an error not covered below
    exit_usage = 2,          // bad options or operands
    exit_not_found = 3,      // a source or the destination's directory does not exist
    exit_connection = 4,     // cannot connect, negotiate or attach
    exit_partial = 5,        // some files were copied, others failed
    exit_timeout = 7,        // the server stopped answering
    exit_interrupted = 130,  // SIGINT (SIGTERM: 143, SIGHUP: 129): in-flight requests drained, partial files kept to resume
};

}  // namespace netcp
