// argv/envp arrays for execve(2) and posix_spawn(3) over strings the caller keeps alive.
#pragma once

#include <string>
#include <vector>

namespace berth {

// Null-terminated pointers into `strings` (which must outlive the result).
inline std::vector<char*> ArgvPointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace berth
