#include "daemon/host_facts.h"

#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_text.h"

namespace berth::daemon {

std::string PrettyNameFromOsRelease(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "PRETTY_NAME=")) continue;
    if (line.size() >= 2 && (line.front() == '"' || line.front() == '\'') &&
        line.back() == line.front()) {
      line = line.substr(1, line.size() - 2);
    }
    return std::string(line);
  }
  return "Linux";
}

std::string GoArch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

HostFacts ReadHostFacts() {
  HostFacts facts;
  utsname uts{};
  if (::uname(&uts) == 0) {
    facts.kernel_version = uts.release;
    facts.architecture = uts.machine;
    facts.hostname = uts.nodename;
  }
  facts.operating_system = PrettyNameFromOsRelease(ReadFileText("/etc/os-release").value_or(""));
  facts.ncpu = static_cast<int32_t>(::sysconf(_SC_NPROCESSORS_ONLN));
  struct sysinfo info {};
  if (::sysinfo(&info) == 0) {
    facts.mem_total = static_cast<int64_t>(info.totalram) * static_cast<int64_t>(info.mem_unit);
  }
  return facts;
}

}  // namespace berth::daemon
