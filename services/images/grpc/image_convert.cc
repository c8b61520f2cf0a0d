#include "services/images/grpc/image_convert.h"

#include "google/protobuf/duration.pb.h"

namespace berth::images {
namespace {

void ToDuration(int64_t ns, google::protobuf::Duration* out) {
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

}  // namespace

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return;
  const int64_t seconds = absl::ToUnixSeconds(time);
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
}

absl::Time FromProto(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return absl::InfinitePast();
  return absl::FromUnixSeconds(time.seconds()) + absl::Nanoseconds(time.nanos());
}

void ToProto(const Descriptor& descriptor, types::v1::Descriptor* out) {
  out->set_media_type(descriptor.media_type);
  out->set_digest(descriptor.digest.str());
  out->set_size(descriptor.size);
  out->mutable_annotations()->insert(descriptor.annotations.begin(), descriptor.annotations.end());
  for (const std::string& url : descriptor.urls) out->add_urls(url);
  if (descriptor.platform.has_value()) ToProto(*descriptor.platform, out->mutable_platform());
}

void ToProto(const ImageTarget& target, types::v1::Descriptor* out) {
  out->set_media_type(target.media_type);
  out->set_digest(target.digest.str());
  out->set_size(target.size);
}

void ToProto(const Platform& platform, types::v1::Platform* out) {
  out->set_os(platform.os);
  out->set_architecture(platform.architecture);
  out->set_variant(platform.variant);
  out->set_os_version(platform.os_version);
  for (const std::string& feature : platform.os_features) out->add_os_features(feature);
}

Platform FromProto(const types::v1::Platform& platform) {
  if (platform.os().empty() && platform.architecture().empty()) return HostPlatform();
  Platform out;
  out.os = platform.os().empty() ? "linux" : platform.os();
  out.architecture = platform.architecture();
  out.variant = platform.variant();
  out.os_version = platform.os_version();
  out.os_features.assign(platform.os_features().begin(), platform.os_features().end());
  return NormalizePlatform(out);
}

void ToProto(const ImageRecord& record, v1::Image* out) {
  out->set_name(record.name);
  ToProto(record.target, out->mutable_target());
  out->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  ToProto(record.created, out->mutable_created_at());
  ToProto(record.updated, out->mutable_updated_at());
}

void ToProto(const ContainerConfig& config, v1::ImageConfig* out) {
  out->set_user(config.user);
  for (const std::string& port : config.exposed_ports) out->add_exposed_ports(port);
  for (const std::string& env : config.env) out->add_env(env);
  for (const std::string& arg : config.entrypoint) out->add_entrypoint(arg);
  for (const std::string& arg : config.cmd) out->add_cmd(arg);
  for (const std::string& volume : config.volumes) out->add_volumes(volume);
  out->set_working_dir(config.working_dir);
  out->mutable_labels()->insert(config.labels.begin(), config.labels.end());
  out->set_stop_signal(config.stop_signal);
  if (config.healthcheck.has_value()) {
    const HealthCheck& check = *config.healthcheck;
    types::v1::HealthcheckConfig* health = out->mutable_healthcheck();
    for (const std::string& arg : check.test) health->add_test(arg);
    ToDuration(check.interval_ns, health->mutable_interval());
    ToDuration(check.timeout_ns, health->mutable_timeout());
    ToDuration(check.start_period_ns, health->mutable_start_period());
    health->set_retries(static_cast<int32_t>(check.retries));
  }
}

ContainerConfig FromProto(const v1::ImageConfig& config) {
  auto nanos = [](const google::protobuf::Duration& d) {
    return d.seconds() * 1000000000 + d.nanos();
  };
  ContainerConfig out;
  out.user = config.user();
  out.exposed_ports.assign(config.exposed_ports().begin(), config.exposed_ports().end());
  out.env.assign(config.env().begin(), config.env().end());
  out.entrypoint.assign(config.entrypoint().begin(), config.entrypoint().end());
  out.cmd.assign(config.cmd().begin(), config.cmd().end());
  out.volumes.assign(config.volumes().begin(), config.volumes().end());
  out.working_dir = config.working_dir();
  out.labels.insert(config.labels().begin(), config.labels().end());
  out.stop_signal = config.stop_signal();
  if (config.has_healthcheck() && !config.healthcheck().test().empty()) {
    const types::v1::HealthcheckConfig& health = config.healthcheck();
    HealthCheck check;
    check.test.assign(health.test().begin(), health.test().end());
    check.interval_ns = nanos(health.interval());
    check.timeout_ns = nanos(health.timeout());
    check.start_period_ns = nanos(health.start_period());
    check.retries = health.retries();
    out.healthcheck = std::move(check);
  }
  return out;
}

void ToProto(const ImageSummary& summary, v1::ImageSummary* out) {
  out->set_id(summary.id.str());
  for (const std::string& tag : summary.repo_tags) out->add_repo_tags(tag);
  for (const std::string& digest : summary.repo_digests) out->add_repo_digests(digest);
  ToProto(summary.created, out->mutable_created());
  out->set_size(summary.size);
  out->set_shared_size(-1);
  out->set_containers(-1);
  out->mutable_labels()->insert(summary.labels.begin(), summary.labels.end());
  ToProto(summary.target, out->mutable_target());
  ToProto(summary.platform, out->mutable_platform());
}

void ToProto(const ImageDetails& details, v1::ImageInspect* out) {
  out->set_id(details.id.str());
  for (const std::string& tag : details.repo_tags) out->add_repo_tags(tag);
  for (const std::string& digest : details.repo_digests) out->add_repo_digests(digest);
  out->set_comment(details.comment);
  ToProto(details.created, out->mutable_created());
  out->set_author(details.author);
  out->set_architecture(details.platform.architecture);
  out->set_variant(details.platform.variant);
  out->set_os(details.platform.os);
  out->set_size(details.size);
  ToProto(details.config, out->mutable_config());
  out->set_rootfs_type(details.rootfs_type);
  for (const Digest& layer : details.layers) out->add_rootfs_layers(layer.str());
  ToProto(details.target, out->mutable_target());
  ToProto(details.manifest, out->mutable_manifest());
  out->set_snapshotter(details.snapshotter);
  out->set_unpacked(details.unpacked);
}

void ToProto(const HistoryItem& item, v1::ImageHistoryEntry* out) {
  out->set_id(item.id);
  ToProto(item.created, out->mutable_created());
  out->set_created_by(item.created_by);
  for (const std::string& tag : item.tags) out->add_tags(tag);
  out->set_size(item.size);
  out->set_comment(item.comment);
  out->set_empty_layer(item.empty_layer);
}

void ToProto(const DeletedItem& item, v1::DeletedImageItem* out) {
  out->set_untagged(item.untagged);
  out->set_deleted(item.deleted);
}

std::map<std::string, std::vector<std::string>> FiltersFromProto(
    const google::protobuf::RepeatedPtrField<types::v1::Filter>& filters) {
  std::map<std::string, std::vector<std::string>> out;
  for (const types::v1::Filter& filter : filters) {
    std::vector<std::string>& values = out[filter.key()];
    values.insert(values.end(), filter.values().begin(), filter.values().end());
  }
  return out;
}

void ToProto(const Mount& mount, types::v1::Mount* out) {
  out->set_type(mount.type);
  out->set_source(mount.source);
  for (const std::string& option : mount.options) out->add_options(option);
}

void ToProto(const std::vector<Mount>& mounts,
             google::protobuf::RepeatedPtrField<types::v1::Mount>* out) {
  for (const Mount& mount : mounts) ToProto(mount, out->Add());
}

v1::SnapshotKind ToProto(SnapshotKind kind) {
  switch (kind) {
    case SnapshotKind::kActive:
      return v1::SNAPSHOT_KIND_ACTIVE;
    case SnapshotKind::kView:
      return v1::SNAPSHOT_KIND_VIEW;
    case SnapshotKind::kCommitted:
      return v1::SNAPSHOT_KIND_COMMITTED;
  }
  return v1::SNAPSHOT_KIND_UNSPECIFIED;
}

void ToProto(const SnapshotInfo& info, v1::SnapshotInfo* out) {
  out->set_name(info.name);
  out->set_parent(info.parent);
  out->set_kind(ToProto(info.kind));
  ToProto(info.created, out->mutable_created_at());
  ToProto(info.updated, out->mutable_updated_at());
  out->mutable_labels()->insert(info.labels.begin(), info.labels.end());
}

SnapshotInfo FromProto(const v1::SnapshotInfo& info) {
  SnapshotInfo out;
  out.name = info.name();
  out.parent = info.parent();
  out.labels = Labels(info.labels().begin(), info.labels().end());
  return out;
}

}  // namespace berth::images
