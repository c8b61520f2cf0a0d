// The image configuration blob (OCI image config / Docker container image v1): what a
// container is run with, the layers' diff IDs and the history.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/images/core/digest.h"

namespace berth::images {

struct HealthCheck {
  std::vector<std::string> test;  // ["CMD-SHELL", "…"], ["CMD", …], ["NONE"]
  int64_t interval_ns = 0;        // 0 = the default
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t retries = 0;

  friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
};

// The "config" object, with Docker's field names in the JSON.
struct ContainerConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> env;            // "K=V"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> volumes;  // container paths
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<HealthCheck> healthcheck;

  friend bool operator==(const ContainerConfig&, const ContainerConfig&) = default;
};

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;

  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string variant;
  std::string created;  // RFC 3339, may be empty
  std::string author;
  std::string container;  // Docker's: the ID of the container a commit made it from
  ContainerConfig config;
  std::string rootfs_type = "layers";
  std::vector<Digest> diff_ids;  // uncompressed layer digests, base first
  std::vector<HistoryEntry> history;

  friend bool operator==(const ImageConfig&, const ImageConfig&) = default;
};

// InvalidArgument naming the field ("invalid image config: field "config.Env[1]" must be a
// string, not number") for malformed input; architecture, os and rootfs are required.
absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view bytes);

// Compact JSON with sorted keys.
std::string SerializeImageConfig(const ImageConfig& config);

}  // namespace berth::images
