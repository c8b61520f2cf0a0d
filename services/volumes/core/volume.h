// The volume service's records, free of gRPC types: volumes as Docker's local driver
// keeps them, the mounts a container asks for, and the concrete mounts they resolve to.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace berth::volumes {

// Docker marks anonymous volumes with this label (Docker 23+), and `volume prune`
// without `-a` removes only those.
inline constexpr char kAnonymousLabel[] = "com.docker.volume.anonymous";

struct Volume {
  std::string name;
  std::string driver = "local";
  std::map<std::string, std::string> options;  // local driver: "type", "device", "o"
  std::map<std::string, std::string> labels;
  bool anonymous = false;
  absl::Time created;
};

enum class MountKind { kVolume, kBind, kTmpfs };

// One mount a container asks for (`-v`, `--mount`, `--tmpfs`).
struct MountRequest {
  MountKind kind = MountKind::kVolume;
  std::string target;  // absolute path in the container
  bool read_only = false;
  std::string mode;  // as the user wrote it ("ro,z"), for inspect
  // kVolume: an empty name makes an anonymous volume.
  std::string volume_name;
  bool nocopy = false;
  std::map<std::string, std::string> driver_options;  // when the volume is created
  std::map<std::string, std::string> labels;          // when the volume is created
  std::string subpath;
  // kBind
  std::string host_path;
  std::string propagation;  // "" (rprivate), "shared", "rslave"…
  bool create_host_path = false;
  bool non_recursive = false;
  // kTmpfs
  int64_t tmpfs_size = 0;
  uint32_t tmpfs_mode = 0;
  std::vector<std::string> tmpfs_options;
};

// `--volumes-from <container>[:ro|:rw]`.
struct VolumesFrom {
  enum class Mode { kSame, kReadOnly, kReadWrite };
  std::string container_id;
  Mode mode = Mode::kSame;
};

// One mount(2) of a container's root file system, for copy-up.
struct RootfsMount {
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct ResolveRequest {
  std::string container_id;
  std::vector<MountRequest> mounts;
  std::vector<VolumesFrom> volumes_from;
  std::vector<std::string> image_volumes;  // the image's VOLUME paths
  std::vector<RootfsMount> rootfs;         // where copy-up reads the image's content
};

// A concrete mount for the OCI spec, and what inspect says of it.
struct ResolvedMount {
  MountKind kind = MountKind::kVolume;
  std::string destination;
  std::string type;  // "bind" or "tmpfs"
  std::string source;
  std::vector<std::string> options;  // mount(8)-style, "rbind", "ro", "size=…"
  std::string propagation;           // "rprivate", "shared"…; "" for tmpfs
  bool read_only = false;
  std::string volume_name;
  std::string mode;
  std::string from_container;  // set when copied by --volumes-from

  bool operator==(const ResolvedMount&) const = default;
};

struct ResolveResult {
  std::vector<ResolvedMount> mounts;  // parents before children
  std::vector<std::string> volume_names;
};

}  // namespace berth::volumes
