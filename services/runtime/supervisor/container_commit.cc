#include "services/runtime/supervisor/container_commit.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace berth::runtime {
namespace {

absl::string_view EnvKey(absl::string_view entry) { return entry.substr(0, entry.find('=')); }

// What the runtime's spec mounts over the rootfs, made empty in the container's snapshot
// when the image lacks them; Docker keeps these in the container's init layer, which a
// commit leaves out.
const std::vector<std::string> kRuntimeMountPoints = {
    "/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"};

}  // namespace

ImageRuntimeConfig EffectiveConfig(const v1::ContainerSpec& spec, const ImageRuntimeConfig& image) {
  ImageRuntimeConfig config;
  config.user = spec.user();
  // Docker's merge: the container's env, then the image's entries it does not override.
  config.env.assign(spec.env().begin(), spec.env().end());
  for (const std::string& entry : image.env) {
    const bool overridden =
        std::any_of(spec.env().begin(), spec.env().end(),
                    [&](const std::string& e) { return EnvKey(e) == EnvKey(entry); });
    if (!overridden) config.env.push_back(entry);
  }
  config.entrypoint.assign(spec.entrypoint().args().begin(), spec.entrypoint().args().end());
  config.cmd.assign(spec.cmd().args().begin(), spec.cmd().args().end());
  config.working_dir = spec.working_dir();
  config.labels.insert(spec.labels().begin(), spec.labels().end());
  config.stop_signal = spec.stop_signal();
  config.volumes = image.volumes;
  config.exposed_ports.assign(spec.network().exposed_ports().begin(),
                              spec.network().exposed_ports().end());
  if (spec.has_healthcheck()) {
    const types::v1::HealthcheckConfig& health = spec.healthcheck();
    auto nanos = [](const google::protobuf::Duration& d) {
      return d.seconds() * 1000000000 + d.nanos();
    };
    config.healthcheck.test.assign(health.test().begin(), health.test().end());
    config.healthcheck.interval_ns = nanos(health.interval());
    config.healthcheck.timeout_ns = nanos(health.timeout());
    config.healthcheck.start_period_ns = nanos(health.start_period());
    config.healthcheck.start_interval_ns = nanos(health.start_interval());
    config.healthcheck.retries = health.retries();
  }
  return config;
}

absl::StatusOr<std::string> CommitContainer(ContainerSupervisor& supervisor, ContainerStore& store,
                                            ImageCommitter& images, const std::string& ns,
                                            const ContainerCommitOptions& options) {
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store.Resolve(ns, options.container));
  BERTH_ASSIGN_OR_RETURN(ImageRuntimeConfig image, images.ImageConfig(ns, record.image_id));
  SnapshotCommit commit;
  commit.snapshotter = record.snapshotter;
  commit.snapshot_key = record.snapshot_key;
  commit.parent = record.image_id;
  commit.container_id = record.id;
  commit.config = EffectiveConfig(ContainerSupervisor::SpecOf(record), image);
  commit.changes = options.changes;
  commit.reference = options.reference;
  commit.author = options.author;
  commit.comment = options.comment;
  commit.mount_points = kRuntimeMountPoints;

  // As Docker: only a running container is paused, and only for the commit.
  bool paused = false;
  if (options.pause && record.state.status == ContainerStatus::kRunning) {
    BERTH_RETURN_IF_ERROR(supervisor.Pause(ns, record.id));
    paused = true;
  }
  absl::Cleanup resume = [&] {
    if (!paused) return;
    if (absl::Status resumed = supervisor.Resume(ns, record.id); !resumed.ok()) {
      log::Warn("resuming a container after commit failed",
                {{"container", record.id}, {"error", resumed.ToString()}});
    }
  };
  return images.CommitSnapshot(ns, commit);
}

}  // namespace berth::runtime
