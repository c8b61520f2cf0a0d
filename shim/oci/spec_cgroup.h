// The spec's linux.resources as berth's cgroup resources, with the devices every
// container gets (runc's allowed list) after the spec's own rules.
#pragma once

#include "shim/oci/cgroups/resources.h"
#include "shim/oci/spec.h"

namespace berth::oci {

CgroupResources CgroupResourcesFromSpec(const Linux& linux_config);

}  // namespace berth::oci
