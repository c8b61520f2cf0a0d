#include "ctl/archive_output.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace berth::ctl {

ArchiveOutput::~ArchiveOutput() {
  if (fd_ != STDOUT_FILENO) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());  // not committed
}

bool ArchiveOutput::Open() {
  if (path_.empty()) return true;
  temp_ = path_ + ".berth-XXXXXX";
  fd_ = ::mkstemp(temp_.data());
  if (fd_ >= 0) return true;
  std::fprintf(stderr, "failed to %s: %s: %s\n", what_.c_str(), path_.c_str(),
               std::strerror(errno));
  temp_.clear();
  fd_ = STDOUT_FILENO;
  return false;
}

bool ArchiveOutput::Write(const std::string& chunk) {
  for (size_t done = 0; done < chunk.size();) {
    ssize_t n = ::write(fd_, chunk.data() + done, chunk.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool ArchiveOutput::Commit() {
  if (temp_.empty()) return true;
  ::close(fd_);
  fd_ = STDOUT_FILENO;
  if (::rename(temp_.c_str(), path_.c_str()) == 0) {
    temp_.clear();
    return true;
  }
  std::fprintf(stderr, "failed to %s: %s: %s\n", what_.c_str(), path_.c_str(),
               std::strerror(errno));
  return false;
}

int ArchiveOutput::ReportWriteError(int error) const {
  std::fprintf(stderr, "failed to %s: %s\n", what_.c_str(), std::strerror(error));
  return 1;
}

}  // namespace berth::ctl
