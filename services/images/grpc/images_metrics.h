// The images service's families on berthd's /metrics: pulls and garbage collection,
// counted through ImageRoot's events, and content and snapshot totals read at scrape time.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <memory>

#include "services/images/core/image_root.h"

namespace berth::images {

// Registers berth_images_pulled_bytes_total, berth_images_pull_duration_seconds{result},
// berth_images_gc_runs_total and berth_images_gc_reclaimed_bytes_total on `registry` and
// returns the events that feed them, for ImageRoot::SetEvents.
ImageRootEvents RegisterImagesMetrics(std::shared_ptr<prometheus::Registry> registry);

// berth_images_content_bytes, berth_images_content_blobs (ContentStore::Usage) and
// berth_images_snapshots (every namespace's), computed at each scrape.
std::shared_ptr<prometheus::Collectable> MakeImagesUsageCollector(std::shared_ptr<ImageRoot> root);

}  // namespace berth::images
