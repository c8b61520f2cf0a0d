#include "shim/oci/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "shim/oci/fd_passing.h"

namespace berth::oci {
namespace {

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

int SetupConsole(int console_socket, unsigned short rows, unsigned short cols,
                 bool bind_dev_console, ChildError* error) {
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return Fail(error, errno, "opening /dev/ptmx");
  FdCloser close_master{master};
  int unlock = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0) return Fail(error, errno, "unlocking the pty");
  int number = 0;
  if (::ioctl(master, TIOCGPTN, &number) != 0) return Fail(error, errno, "naming the pty");
  char name[32];
  std::snprintf(name, sizeof(name), "/dev/pts/%d", number);
  // The peer is opened through the master, not by path: no lookup can be redirected.
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) return Fail(error, errno, "opening the pty's peer");
  FdCloser close_slave{slave};
  if (rows != 0 && cols != 0) {
    winsize ws{rows, cols, 0, 0};
    if (::ioctl(slave, TIOCSWINSZ, &ws) != 0) return Fail(error, errno, "sizing the pty");
  }
  // The pty name is the payload, as runc sends it.
  ssize_t rc = SendFd(console_socket, master, name, std::strlen(name));
  if (rc < 0) return Fail(error, rc, "sending the pty to the console socket");
  if (bind_dev_console) {
    int console = ::open("/dev/console", O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (console < 0) return Fail(error, errno, "creating /dev/console");
    ::close(console);
    if (::mount(name, "/dev/console", nullptr, MS_BIND, nullptr) != 0) {
      return Fail(error, errno, "binding the pty over /dev/console");
    }
  }
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) return Fail(error, errno, "taking the pty as terminal");
  for (int target = 0; target < 3; ++target) {
    if (::dup2(slave, target) < 0) return Fail(error, errno, "pty as stdio");
  }
  return 0;
}

}  // namespace berth::oci
