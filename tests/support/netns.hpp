// A network namespace of the test process's own, for servers that listen on every
// interface (nfs-ganesha): inside it the only interface is a loopback nobody else sees.
#pragma once

namespace testutil {

// When NETCP_TEST_9P_SERVER=ganesha (or NETCP_TEST_NETNS=1): moves this process into a new
// network namespace with its loopback up. Call first thing in main, before any thread
// starts (unshare(CLONE_NEWNET) moves only the calling thread). Exits 77 (skipped) if the
// namespace cannot be made (it needs root, or CAP_SYS_ADMIN).
void enter_private_netns_if_asked();

}  // namespace testutil
