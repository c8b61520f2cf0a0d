// Dockerfile instructions applied to an image config, as `docker import --change` and
// `docker commit --change` take them: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL,
// USER, VOLUME, WORKDIR.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/images/core/image_config.h"

namespace berth::images {

// Applies one instruction ("CMD [\"sh\"]", "ENV A=b C=\"d e\"", "EXPOSE 80 53/udp"). CMD,
// ENTRYPOINT and VOLUME take the JSON form or the shell form; ENV and LABEL take
// key=value pairs (quoted as a shell would) or the old "ENV KEY value" form.
// InvalidArgument for another instruction or a missing argument.
absl::Status ApplyChange(absl::string_view change, ContainerConfig* config);

absl::Status ApplyChanges(const std::vector<std::string>& changes, ContainerConfig* config);

}  // namespace berth::images
