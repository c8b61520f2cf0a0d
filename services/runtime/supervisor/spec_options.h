// The API's ContainerSpec as the spec builder's ContainerOptions, and an image's config
// from the images API as ImageRuntimeConfig: shape changes only.
#pragma once

#include "berth/images/v1/images.pb.h"
#include "berth/runtime/v1/containers.pb.h"
#include "services/runtime/core/container_options.h"
#include "services/runtime/core/container_record.h"

namespace berth::runtime {

ContainerOptions OptionsFromSpec(const v1::ContainerSpec& spec);
ImageRuntimeConfig ImageConfigFromProto(const images::v1::ImageConfig& config);
RestartPolicy PolicyFromSpec(const v1::ContainerSpec& spec);

}  // namespace berth::runtime
