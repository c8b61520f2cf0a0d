// Conversions between the images core's types and berth.images.v1 / berth.types.v1
// messages. Free functions, no logic beyond the shape change.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "berth/images/v1/images.pb.h"
#include "berth/images/v1/snapshots.pb.h"
#include "berth/types/v1/types.pb.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/images/core/image_catalog.h"
#include "services/images/core/snapshotter.h"

namespace berth::images {

// InfinitePast (unknown) leaves the timestamp unset.
void ToProto(absl::Time time, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& time);

void ToProto(const Descriptor& descriptor, types::v1::Descriptor* out);
void ToProto(const ImageTarget& target, types::v1::Descriptor* out);
void ToProto(const Platform& platform, types::v1::Platform* out);
// An unset platform (no os and no architecture) is the host's.
Platform FromProto(const types::v1::Platform& platform);

void ToProto(const ImageRecord& record, v1::Image* out);
void ToProto(const ContainerConfig& config, v1::ImageConfig* out);
ContainerConfig FromProto(const v1::ImageConfig& config);
void ToProto(const ImageSummary& summary, v1::ImageSummary* out);
void ToProto(const ImageDetails& details, v1::ImageInspect* out);
void ToProto(const HistoryItem& item, v1::ImageHistoryEntry* out);
void ToProto(const DeletedItem& item, v1::DeletedImageItem* out);

// Filters by key; values of a repeated key are merged.
std::map<std::string, std::vector<std::string>> FiltersFromProto(
    const google::protobuf::RepeatedPtrField<types::v1::Filter>& filters);

void ToProto(const Mount& mount, types::v1::Mount* out);
void ToProto(const std::vector<Mount>& mounts,
             google::protobuf::RepeatedPtrField<types::v1::Mount>* out);
void ToProto(const SnapshotInfo& info, v1::SnapshotInfo* out);
SnapshotInfo FromProto(const v1::SnapshotInfo& info);
v1::SnapshotKind ToProto(SnapshotKind kind);

}  // namespace berth::images
