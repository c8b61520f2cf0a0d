#include "common/random_hex.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace berth {

std::string RandomHex(size_t bytes) {
  std::vector<uint8_t> buffer(bytes);
  uint8_t* next = buffer.data();
  size_t left = bytes;
  while (left > 0) {
    ssize_t n = ::getrandom(next, left, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Blocking getrandom of a few bytes fails only without the syscall (Linux < 3.17).
      std::abort();
    }
    next += n;
    left -= static_cast<size_t>(n);
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

}  // namespace berth
