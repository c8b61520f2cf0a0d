// Reads an image archive (docker-archive or OCI layout tar) once, front to back, staging
// every blob in a content-store ingest without committing it, so a bad archive leaves
// nothing behind: the caller checks what it needs, then commits the lot or aborts.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/images/core/content_store.h"
#include "services/images/core/digest.h"

namespace berth::images {

class ImageRoot;

// One blob of the archive.
struct StagedBlob {
  std::unique_ptr<ContentWriter> writer;  // null when the store had the blob already
  std::string ref;                        // the ingest ref, for Abort
  Digest digest;                          // named by the archive, else computed
  int64_t size = 0;
  std::optional<std::string> bytes;  // kept when small, for manifests and configs
  std::string head;                  // the first bytes, which tell a layer's compression
};

class StagedArchive {
 public:
  // Reads the tar (plain or compressed) from `fd` to its end. Names are checked as they
  // come: only blobs/sha256/<hex>, manifest.json, repositories, index.json, oci-layout,
  // <hex>.json and <hex>/{layer.tar,json,VERSION} are allowed; a blob named by its digest
  // must have that digest. `ref_prefix` makes the ingest refs unique to this load.
  static absl::StatusOr<std::unique_ptr<StagedArchive>> Read(ContentStore& content, int fd,
                                                             const std::string& ref_prefix);
  // Aborts every ingest that was not committed.
  ~StagedArchive();

  // manifest.json, index.json, repositories or oci-layout; nullptr when absent.
  const std::string* File(const std::string& name) const;
  // The blob at an archive path ("blobs/sha256/<hex>", "<hex>/layer.tar", symlinks
  // followed); NotFound naming the path when the archive has none.
  absl::StatusOr<const StagedBlob*> BlobAt(const std::string& path) const;
  // The blob with `digest` in the archive, or nullptr.
  const StagedBlob* Blob(const Digest& digest) const;
  // The bytes of a small blob from the archive or, failing that, the content store.
  absl::StatusOr<std::string> Read(const Digest& digest, int64_t max_size) const;

  // Commits every staged blob and records it in `ns` under `lease_id`, holding the GC
  // lock shared from each commit until it is recorded.
  absl::Status CommitAll(ImageRoot& root, const std::string& ns, const std::string& lease_id);

 private:
  StagedArchive(ContentStore& content, std::string ref_prefix)
      : content_(content), ref_prefix_(std::move(ref_prefix)) {}
  absl::Status ReadAll(int fd);

  ContentStore& content_;
  std::string ref_prefix_;
  std::map<std::string, std::string> files_;
  std::map<std::string, Digest> paths_;
  std::map<std::string, std::string> links_;  // "<hex>/layer.tar" → the path it points at
  std::map<Digest, StagedBlob> blobs_;
  int64_t kept_bytes_ = 0;
};

}  // namespace berth::images
