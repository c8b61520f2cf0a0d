// The volume service's Prometheus metrics, computed at scrape time: berth_volumes (per
// namespace) and berth_volume_bytes (per volume; walks each volume's tree, so a scrape
// costs a `du` of every volume).
#pragma once

#include <memory>

#include "services/volumes/core/volume_manager.h"

namespace prometheus {
class Collectable;
}

namespace berth::volumes {

std::shared_ptr<prometheus::Collectable> MakeVolumesCollector(
    std::shared_ptr<VolumeManager> manager);

}  // namespace berth::volumes
