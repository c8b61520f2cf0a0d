// libdbus-1.a (Debian's static libdbus) refers to two libsystemd functions for socket
// activation, which only a bus daemon's listening side calls. berth links libdbus
// statically and not libsystemd (whose shared library would bring its compression and
// crypto libraries into every shim): these stand in for them, as "no sockets passed".
#include <errno.h>

extern "C" {

int sd_listen_fds(int /*unset_environment*/) { return 0; }

int sd_is_socket(int /*fd*/, int /*family*/, int /*type*/, int /*listening*/) { return -ENOSYS; }

}  // extern "C"
