// `docker commit` on the runtime's side: the container's effective config and snapshot
// handed to the images service, with a running container paused around the call.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "berth/runtime/v1/containers.pb.h"
#include "services/runtime/core/container_store.h"
#include "services/runtime/core/image_committer.h"
#include "services/runtime/supervisor/container_supervisor.h"

namespace berth::runtime {

struct ContainerCommitOptions {
  std::string container;  // an ID, name or ID prefix
  std::string reference;
  std::string author;
  std::string comment;
  std::vector<std::string> changes;
  bool pause = true;
};

// The config Docker keeps for a container (and commits): the stored spec, which has the
// image's defaults merged in already, plus the image's env entries the container does not
// override (after its own, as Docker merges them) and the image's volumes.
ImageRuntimeConfig EffectiveConfig(const v1::ContainerSpec& spec, const ImageRuntimeConfig& image);

// The new image's ID. NotFound "No such container: <ref>"; a container paused here is
// resumed whatever the outcome.
absl::StatusOr<std::string> CommitContainer(ContainerSupervisor& supervisor, ContainerStore& store,
                                            ImageCommitter& images, const std::string& ns,
                                            const ContainerCommitOptions& options);

}  // namespace berth::runtime
