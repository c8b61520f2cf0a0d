// `docker export` on the runtime's side: a container's merged root file system (image
// layers and its changes; not its volumes, binds or tmpfs, which live only in its mount
// namespace) as a tar.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "services/runtime/core/container_record.h"
#include "services/runtime/core/image_source.h"

namespace berth::runtime {

// Mounts a read-only view of the container's snapshot on a fresh directory under
// `mount_parent` (running or not: the view stacks the live upper dir as a lower layer),
// writes the whole tree to `out_fd` as an uncompressed PAX tar, and unmounts it.
absl::Status ExportContainer(ImageSource& images, const std::string& ns,
                             const ContainerRecord& record, const std::string& mount_parent,
                             int out_fd);

// Unmounts and removes the views an export cut short by a crash left under `mount_parent`.
void CleanExportMounts(const std::string& mount_parent);

}  // namespace berth::runtime
