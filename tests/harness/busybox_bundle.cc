#include "tests/harness/busybox_bundle.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "shim/oci/default_spec.h"

namespace berth::testing {

absl::Status MakeBusyboxRootfs(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string rootfs = dir + "/rootfs";
  for (const char* sub : {"bin", "proc", "sys", "dev", "tmp", "etc", "root", "mnt"}) {
    fs::create_directories(rootfs + "/" + sub, ec);
    if (ec)
      return absl::InternalError(absl::StrCat("mkdir ", rootfs, "/", sub, ": ", ec.message()));
  }
  fs::copy_file("/bin/busybox", rootfs + "/bin/busybox", ec);
  if (ec) return absl::InternalError("copy /bin/busybox (install busybox-static): " + ec.message());
  for (const char* applet :
       {"sh",    "echo",  "cat",   "id",    "hostname", "ls",     "wc",   "grep",
        "sleep", "true",  "false", "touch", "test",     "pwd",    "head", "readlink",
        "stat",  "mount", "env",   "ps",    "mkdir",    "unshare"}) {
    fs::create_symlink("busybox", rootfs + "/bin/" + applet, ec);
    if (ec) return absl::InternalError(absl::StrCat("symlink ", applet, ": ", ec.message()));
  }
  std::ofstream(rootfs + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  std::ofstream(rootfs + "/etc/group") << "root:x:0:\n";
  return absl::OkStatus();
}

oci::Spec BusyboxSpec(const std::vector<std::string>& args) {
  oci::Spec spec = oci::DefaultSpec(/*rootless=*/false);
  spec.process->terminal = false;
  spec.process->args = args;
  spec.hostname = "berth-test";
  spec.root.readonly = false;
  return spec;
}

absl::Status WriteBundleConfig(const std::string& dir, const oci::Spec& spec) {
  std::ofstream out(dir + "/config.json");
  out << oci::SerializeSpec(spec);
  out.flush();
  return out ? absl::OkStatus() : absl::InternalError("cannot write " + dir + "/config.json");
}

RunResult RunBerthOci(const std::string& root, std::vector<std::string> args) {
  args.insert(args.begin(), {BERTH_TEST_BERTH_OCI, "--root", root});
  return RunCommand(args);
}

std::string BerthOciStatus(const std::string& root, const std::string& id) {
  RunResult r = RunBerthOci(root, {"state", id});
  if (r.exit_code != 0) return "error: " + r.err;
  return nlohmann::json::parse(r.out)["status"].get<std::string>();
}

}  // namespace berth::testing
