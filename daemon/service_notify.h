// systemd's readiness protocol (sd_notify(3)) without libsystemd.
#pragma once

#include <string>

namespace berth::daemon {

// Sends `state` ("READY=1", "STOPPING=1"…) to the socket named by $NOTIFY_SOCKET, if set:
// a path, or "@name" for the abstract namespace. Best effort, as sd_notify: nothing
// happens when berthd is not run by a service manager. libsystemd was berthd's only
// reason to load it, libgcrypt and libgpg-error (about 0.8 MiB of RSS).
void NotifyServiceManager(const std::string& state);

}  // namespace berth::daemon
