// One file descriptor over a unix socket (SCM_RIGHTS) with a payload beside it, the way
// runc's utils.SendFd/RecvFd carry a pty master or a seccomp listener. Neither
// allocates, so the container's init may send between clone and exec.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace berth::oci {

// Sends `fd` with `size` bytes of `payload`: the bytes sent, or -errno.
ssize_t SendFd(int socket, int fd, const void* payload, size_t size);

// Receives one message: its payload into `payload` (at most `size` bytes; `*received` is
// its length) and the fd it carried, close-on-exec. Returns the fd, or -errno; -EBADMSG
// for a message without one.
int ReceiveFd(int socket, void* payload, size_t size, size_t* received);

}  // namespace berth::oci
