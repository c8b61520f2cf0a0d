// `docker commit`: an active snapshot's changes become a new image on top of the image
// the snapshot was prepared from.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/images/core/digest.h"
#include "services/images/core/image_config.h"

namespace berth::images {

class ImageRoot;

struct CommitOptions {
  std::string snapshot_key;            // the container's active snapshot
  std::string parent;                  // the image it was prepared from (an ID or reference)
  ContainerConfig config{};            // the container's effective config
  std::vector<std::string> changes{};  // Dockerfile instructions (image_config_changes.h)
  std::string reference{};             // tag the image when set
  std::string author{};
  std::string comment{};
  std::string container_id{};  // recorded as the config's "container", as Docker does
  // What the runtime mounts over ("/etc/hosts", "/proc"): left out of the layer while still
  // the new empty file or directory it made (Docker keeps those in the init layer).
  std::vector<std::string> mount_points{};
};

// The new image's config: the parent's platform, layers and history, plus `diff_id` and
// a history entry as Docker writes it (created_by is the container's cmd); `config`
// with the changes applied already.
ImageConfig ChildImageConfig(const ImageConfig& parent, const CommitOptions& options,
                             const ContainerConfig& config, const Digest& diff_id,
                             absl::Time created);

// Writes the snapshot's changes as a gzip layer (overlayfs: the upper dir, whiteouts and
// opaque dirs as OCI whiteouts; native: the tree compared with the parent's), the config
// and a manifest of the parent's kind (Docker or OCI), unpacks the new layer and names
// the image: `reference`, or a dangling name (kDanglingImagePrefix) without one.
// InvalidArgument for a bad change or reference, checked before anything is written;
// FailedPrecondition when the snapshot was not prepared from `parent`. Returns the ID.
absl::StatusOr<Digest> CommitSnapshot(ImageRoot& root, const std::string& ns,
                                      const CommitOptions& options);

}  // namespace berth::images
