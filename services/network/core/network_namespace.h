// Network namespaces that outlive any process: created by a short-lived thread that
// unshares CLONE_NEWNET, brings up `lo` and bind-mounts its /proc/thread-self/ns/net
// onto a file (as `ip netns add` does).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::network {

// Owns a bind-mounted netns file; removes it on destruction unless released.
class NetworkNamespace {
 public:
  // Creates `dir`/`name`. `dir` is made a shared bind mount of itself first, so an
  // unmount reaches copies of the mount made by later mount namespaces.
  static absl::StatusOr<NetworkNamespace> Create(const std::string& dir, const std::string& name);

  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;
  NetworkNamespace(NetworkNamespace&& other) noexcept;
  NetworkNamespace& operator=(NetworkNamespace&& other) noexcept;
  ~NetworkNamespace();

  const std::string& path() const { return path_; }
  // Keeps the namespace; whoever stored the path removes it later.
  std::string Release();

 private:
  explicit NetworkNamespace(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Unmounts and unlinks a netns file; OK when it is already gone.
absl::Status RemoveNetworkNamespace(const std::string& path);

// True when `path` is a mounted netns (nsfs) rather than a plain file.
bool IsNetworkNamespaceMount(const std::string& path);

}  // namespace berth::network
