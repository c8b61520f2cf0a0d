// How the container's child reports a failure to its parent without allocating: a
// fixed-size record written to a CLOEXEC pipe just before _exit.
#pragma once

#include <cstring>

namespace berth::oci {

struct ChildError {
  int error = 0;  // errno
  char message[240] = {};
};

// Records `what` (a literal) and `detail` (a path, may be null); returns -err.
inline int Fail(ChildError* out, int err, const char* what, const char* detail = nullptr) {
  out->error = err < 0 ? -err : err;
  size_t n = 0;
  for (const char* p = what; p != nullptr && *p != '\0' && n + 1 < sizeof(out->message); ++p) {
    out->message[n++] = *p;
  }
  if (detail != nullptr && n + 2 < sizeof(out->message)) {
    out->message[n++] = ' ';
    for (const char* p = detail; *p != '\0' && n + 1 < sizeof(out->message); ++p) {
      out->message[n++] = *p;
    }
  }
  out->message[n] = '\0';
  return -out->error;
}

}  // namespace berth::oci
