// Where blobs came from, as containerd records it: a label per registry host naming the
// repositories there that hold the blob. A push reads it to mount a blob from another
// repository of the same registry instead of uploading it again.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/images/core/digest.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/metadata_store.h"

namespace berth::images {

// "berth.io/distribution.source.<registry host>" = "<repo path>[,<repo path>…]"
inline constexpr char kDistributionSourceLabelPrefix[] = "berth.io/distribution.source.";

// Adds `repo`'s path to the blob's label for `repo`'s domain (sorted, without repeats).
// A blob that is not in namespace `ns` is left alone.
absl::Status AddDistributionSource(MetadataStore& metadata, absl::string_view ns,
                                   const Digest& digest, const ImageReference& repo);

// The repositories on `domain` that `labels` say hold the blob.
std::vector<std::string> DistributionSources(const Labels& labels, absl::string_view domain);

}  // namespace berth::images
