#include "services/images/core/layer_unpacker.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "services/images/core/layer_apply.h"

namespace berth::images {
namespace {

std::string ExtractKey(const Digest& chain_id) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat("extract-", ::getpid(), "-", counter.fetch_add(1), "-", chain_id.str());
}

}  // namespace

Digest ChainId(const Digest& parent_chain, const Digest& diff_id) {
  if (parent_chain.empty()) return diff_id;
  return Digest::Of(absl::StrCat(parent_chain.str(), " ", diff_id.str()));
}

absl::StatusOr<UnpackedLayer> LayerUnpacker::Unpack(const Digest& parent_chain, const Digest& layer,
                                                    const Digest& diff_id) {
  UnpackedLayer result;
  result.chain_id = ChainId(parent_chain, diff_id);
  if (auto existing = snapshotter_.Stat(result.chain_id.str()); existing.ok()) {
    if (existing->kind == SnapshotKind::kCommitted) {
      result.already_existed = true;
      return result;
    }
  }

  BERTH_ASSIGN_OR_RETURN(UniqueFd blob, content_.OpenBlob(layer));
  const std::string key = ExtractKey(result.chain_id);
  BERTH_ASSIGN_OR_RETURN(std::vector<Mount> mounts,
                         snapshotter_.Prepare(key, parent_chain.str(), {}));
  bool committed = false;
  absl::Cleanup remove_on_failure = [&] {
    if (!committed) (void)snapshotter_.Remove(key);
  };

  BERTH_ASSIGN_OR_RETURN(std::string dir, WritableDir(mounts));
  UniqueFd dir_fd(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!dir_fd.valid()) {
    return absl::InternalError(
        absl::StrCat("opening snapshot directory ", dir, ": ", std::strerror(errno)));
  }
  // An overlay upper dir holds whiteouts as overlayfs's 0:0 devices; a copied tree is
  // edited in place.
  const WhiteoutMode mode = mounts.size() == 1 && mounts[0].type == "overlay"
                                ? WhiteoutMode::kOverlay
                                : WhiteoutMode::kDelete;
  absl::StatusOr<LayerApplyResult> applied = ApplyLayer(dir_fd.get(), blob.get(), mode);
  if (!applied.ok()) {
    return absl::Status(applied.status().code(), absl::StrCat("unpacking layer ", layer.str(), ": ",
                                                              applied.status().message()));
  }
  if (applied->diff_id != diff_id) {
    return absl::DataLossError(absl::StrCat("layer ", layer.str(), " unpacks to ",
                                            applied->diff_id.str(), " but the image config says ",
                                            diff_id.str()));
  }
  result.uncompressed_size = applied->uncompressed_size;
  absl::Status commit = snapshotter_.Commit(result.chain_id.str(), key, {});
  if (commit.code() == absl::StatusCode::kAlreadyExists) {
    result.already_existed = true;  // another pull committed the same chain meanwhile
    return result;
  }
  BERTH_RETURN_IF_ERROR(commit);
  committed = true;
  return result;
}

}  // namespace berth::images
