#include "services/images/core/layer_unpacker.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
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
#include "services/images/core/layer_fs.h"

namespace berth::images {
namespace {

std::string ExtractKey(const Digest& chain_id) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat("extract-", ::getpid(), "-", counter.fetch_add(1), "-", chain_id.str());
}

absl::StatusOr<UniqueFd> OpenWritableDir(const std::vector<Mount>& mounts) {
  BERTH_ASSIGN_OR_RETURN(std::string dir, WritableDir(mounts));
  UniqueFd fd(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return absl::InternalError(
        absl::StrCat("opening snapshot directory ", dir, ": ", std::strerror(errno)));
  }
  return fd;
}

// Moves everything in `from` into the empty directory `to`, and the root's own mode,
// owner, times and overlay opaque mark with it.
absl::Status MoveTree(int from, int to) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(from));
  for (const std::string& name : names) {
    if (::renameat(from, name.c_str(), to, name.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("moving staged ", name, ": ", std::strerror(errno)));
    }
  }
  struct stat st {};
  if (::fstat(from, &st) != 0 || ::fchown(to, st.st_uid, st.st_gid) != 0 ||
      ::fchmod(to, st.st_mode & 07777) != 0) {
    return absl::InternalError(absl::StrCat("copying the layer root: ", std::strerror(errno)));
  }
  char opaque[8];
  ssize_t n = ::fgetxattr(from, "trusted.overlay.opaque", opaque, sizeof(opaque));
  if (n > 0 && ::fsetxattr(to, "trusted.overlay.opaque", opaque, static_cast<size_t>(n), 0) != 0) {
    return absl::InternalError(
        absl::StrCat("marking the layer root opaque: ", std::strerror(errno)));
  }
  const timespec times[2] = {st.st_atim, st.st_mtim};
  ::futimens(to, times);
  return absl::OkStatus();
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

namespace berth::images {

absl::StatusOr<int64_t> LayerUnpacker::Stage(const std::string& stage_key, const Digest& layer,
                                             const Digest& diff_id) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd blob, content_.OpenBlob(layer));
  BERTH_ASSIGN_OR_RETURN(std::vector<Mount> mounts, snapshotter_.Prepare(stage_key, "", {}));
  BERTH_ASSIGN_OR_RETURN(UniqueFd dir, OpenWritableDir(mounts));
  absl::StatusOr<LayerApplyResult> applied =
      ApplyLayer(dir.get(), blob.get(), WhiteoutMode::kOverlay);
  if (!applied.ok()) {
    return absl::Status(applied.status().code(), absl::StrCat("unpacking layer ", layer.str(), ": ",
                                                              applied.status().message()));
  }
  if (applied->diff_id != diff_id) {
    return absl::DataLossError(absl::StrCat("layer ", layer.str(), " unpacks to ",
                                            applied->diff_id.str(), " but the image config says ",
                                            diff_id.str()));
  }
  return applied->uncompressed_size;
}

absl::StatusOr<UnpackedLayer> LayerUnpacker::Adopt(const std::string& stage_key,
                                                   const Digest& parent_chain,
                                                   const Digest& diff_id,
                                                   int64_t uncompressed_size) {
  UnpackedLayer result;
  result.chain_id = ChainId(parent_chain, diff_id);
  result.uncompressed_size = uncompressed_size;
  absl::Cleanup drop_stage = [&] { (void)snapshotter_.Remove(stage_key); };
  if (auto existing = snapshotter_.Stat(result.chain_id.str());
      existing.ok() && existing->kind == SnapshotKind::kCommitted) {
    result.already_existed = true;
    return result;
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<Mount> staged, snapshotter_.Mounts(stage_key));
  BERTH_ASSIGN_OR_RETURN(UniqueFd from, OpenWritableDir(staged));
  const std::string key = ExtractKey(result.chain_id);
  BERTH_ASSIGN_OR_RETURN(std::vector<Mount> mounts,
                         snapshotter_.Prepare(key, parent_chain.str(), {}));
  bool committed = false;
  absl::Cleanup remove_on_failure = [&] {
    if (!committed) (void)snapshotter_.Remove(key);
  };
  BERTH_ASSIGN_OR_RETURN(UniqueFd to, OpenWritableDir(mounts));
  BERTH_RETURN_IF_ERROR(MoveTree(from.get(), to.get()));
  absl::Status commit = snapshotter_.Commit(result.chain_id.str(), key, {});
  if (commit.code() == absl::StatusCode::kAlreadyExists) {
    result.already_existed = true;
    return result;
  }
  BERTH_RETURN_IF_ERROR(commit);
  committed = true;
  return result;
}

}  // namespace berth::images
