// berth-oci: a runc-compatible OCI runtime CLI over berth's runtime library.
// Commands so far: run (foreground), spec.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>

#include "shim/oci/container_process.h"
#include "shim/oci/default_spec.h"
#include "shim/oci/spec.h"

namespace {

int Error(const std::string& message) {
  std::fprintf(stderr, "berth-oci: %s\n", message.c_str());
  return 1;
}

int Run(const std::string& id, const std::string& bundle, bool no_pivot) {
  auto spec = berth::oci::LoadSpec(bundle);
  if (!spec.ok()) return Error(std::string(spec.status().message()));
  berth::oci::LaunchOptions options;
  options.container_id = id;
  options.no_pivot = no_pivot;
  auto container = berth::oci::LaunchContainer(*spec, bundle, options);
  if (!container.ok()) return Error(id + ": " + std::string(container.status().message()));
  int status = 0;
  while (::waitpid(container->pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Whatever the init left behind goes with the cgroup.
  (void)container->cgroup->Kill(SIGKILL);
  if (auto s = container->cgroup->Destroy(); !s.ok()) Error(std::string(s.message()));
  return berth::oci::ExitCodeFromWaitStatus(status);
}

int WriteSpec(const std::string& bundle, bool rootless) {
  std::string path = bundle + "/config.json";
  if (::access(path.c_str(), F_OK) == 0) return Error("File " + path + " exists. Remove it first");
  std::ofstream out(path);
  out << berth::oci::SerializeSpec(berth::oci::DefaultSpec(rootless)) << "\n";
  return out ? 0 : Error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"berth-oci: an OCI runtime (runc's command line) built on berth", "berth-oci"};
  app.require_subcommand(1);
  std::string root = "/run/berth-oci";
  app.add_option("--root", root, "Root directory for container state");

  std::string id, bundle = ".";
  bool no_pivot = false;
  auto* run = app.add_subcommand("run", "Create and run a container in the foreground");
  run->add_option("container-id", id)->required();
  run->add_option("-b,--bundle", bundle, "Path to the bundle (default: current directory)");
  run->add_flag("--no-pivot", no_pivot, "Use chroot instead of pivot_root");

  bool rootless = false;
  auto* spec = app.add_subcommand("spec", "Create a new specification file (config.json)");
  spec->add_option("-b,--bundle", bundle, "Path to the bundle");
  spec->add_flag("--rootless", rootless, "A spec for a rootless container");

  CLI11_PARSE(app, argc, argv);
  if (run->parsed()) return Run(id, bundle, no_pivot);
  if (spec->parsed()) return WriteSpec(bundle, rootless);
  return 1;
}
