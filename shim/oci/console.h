// A container's terminal: a pty made inside the container's devpts, its master sent to
// the caller's console socket (SCM_RIGHTS, runc's protocol), its slave the process'
// controlling terminal, stdio and /dev/console. Runs between clone() and exec(): no
// allocation.
#pragma once

#include "shim/oci/child_error.h"

namespace berth::oci {

// `console_socket` is a connected unix socket; rows and cols 0 leave the kernel's size;
// `bind_dev_console` also binds the pty over /dev/console (the init's terminal, not an
// exec's). Returns 0 or -errno.
int SetupConsole(int console_socket, unsigned short rows, unsigned short cols,
                 bool bind_dev_console, ChildError* error);

}  // namespace berth::oci
