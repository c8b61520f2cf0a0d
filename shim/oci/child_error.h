// How the container's child reports a failure to its parent without allocating: a
// fixed-size record written to a CLOEXEC pipe just before _exit.
#pragma once

#include <cerrno>
#include <cstring>

namespace berth::oci {

struct ChildError {
  int error = 0;  // errno
  char message[240] = {};
  bool complete = false;  // the message says it all: the parent adds no strerror text
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

// runc's words for an executable missing from PATH: exec: "<file>": executable file not
// found in $PATH (a complete message, ENOENT). Returns -ENOENT.
inline int FailExecutableNotFound(ChildError* out, const char* file) {
  size_t n = 0;
  auto append = [&](const char* text) {
    for (const char* p = text; *p != '\0' && n + 1 < sizeof(out->message); ++p) {
      out->message[n++] = *p;
    }
  };
  append("exec: \"");
  append(file);
  append("\": executable file not found in $PATH");
  out->message[n] = '\0';
  out->error = ENOENT;
  out->complete = true;
  return -ENOENT;
}

}  // namespace berth::oci
