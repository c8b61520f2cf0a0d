// Docker's "local" volume driver. A volume is the directory <dir>/<ns>/<name>/_data; with
// driver options ("type", "device", "o", as `docker volume create --opt`) it is that
// filesystem — a tmpfs, a device, a bind of a host directory — mounted on _data while
// at least one container references the volume.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::volumes {

class LocalDriver {
 public:
  explicit LocalDriver(std::string dir) : dir_(std::move(dir)) {}

  // InvalidArgument, in Docker's words, for an unknown key or a type without a device.
  static absl::Status ValidateOptions(const std::map<std::string, std::string>& options);

  // Where containers mount the volume from: <dir>/<ns>/<name>/_data.
  std::string Mountpoint(const std::string& ns, const std::string& name) const;

  // Makes the volume's directories (the volume's own 0701, _data 0755).
  absl::Status Create(const std::string& ns, const std::string& name) const;
  // Unmounts the volume's filesystem if mounted and removes its directories.
  absl::Status Remove(const std::string& ns, const std::string& name) const;

  // Mounts the filesystem the options name on _data, unless it is mounted already.
  // Nothing to do for a volume without options.
  absl::Status Activate(const std::string& ns, const std::string& name,
                        const std::map<std::string, std::string>& options) const;
  // Unmounts what Activate mounted; nothing to do when nothing is.
  absl::Status Deactivate(const std::string& ns, const std::string& name) const;

  // Allocated bytes under _data, each inode once.
  absl::StatusOr<int64_t> Size(const std::string& ns, const std::string& name) const;

 private:
  std::string VolumeDir(const std::string& ns, const std::string& name) const;
  std::string dir_;
};

}  // namespace berth::volumes
