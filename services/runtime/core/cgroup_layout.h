// Cgroup layout detection lives with the OCI runtime library's cgroups; the runtime
// service reports it under its own names.
#pragma once

#include "shim/oci/cgroups/cgroup_layout.h"

namespace berth::runtime {

using CgroupLayout = oci::CgroupLayout;
using oci::DetectCgroupLayout;
using oci::ParseCgroupLayout;

}  // namespace berth::runtime
