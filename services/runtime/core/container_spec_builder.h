// Generates a container's OCI runtime spec the way Docker does, from the image's config,
// the user's `docker run` options and Docker's defaults.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/runtime/core/container_options.h"
#include "shim/oci/spec.h"

namespace berth::runtime {

// What the runtime service knows about the container besides its options.
struct BuildContext {
  std::string container_id;
  std::string rootfs_path;  // the mounted root file system, for user lookups
  std::string hostname;     // "" the first 12 characters of container_id
  std::string cgroups_path;
  // Files bound over /etc/resolv.conf, /etc/hosts and /etc/hostname; "" none.
  std::string resolv_conf_path;
  std::string hosts_path;
  std::string hostname_path;
  // A private cgroup namespace, as Docker gives on cgroup v2 hosts.
  bool private_cgroupns = false;
};

// The spec for `docker run` with `options` of an image with `image`: the process
// (args, env, cwd, user, capabilities, rlimits), root, hostname, mounts, namespaces,
// cgroup resources and device rules, seccomp, masked and read-only paths, sysctls and
// annotations. Checked with oci::ValidateSpec. Errors are InvalidArgument (or NotFound
// for unknown users and groups) with Docker's wording, e.g. "No command specified".
absl::StatusOr<oci::Spec> BuildContainerSpec(const ImageRuntimeConfig& image,
                                             const ContainerOptions& options,
                                             const BuildContext& ctx);

}  // namespace berth::runtime
