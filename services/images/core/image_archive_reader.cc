#include "services/images/core/image_archive_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "services/images/core/image_root.h"
#include "services/images/core/resolved_image.h"

namespace berth::images {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr int64_t kMaxFileBytes = 4 << 20;     // manifest.json, index.json, …
constexpr int64_t kMaxKeptBytes = 64LL << 20;  // small blobs kept in memory, in all

enum class EntryKind { kSkip, kFile, kNamedBlob, kUnnamedBlob, kLayerLink };

struct EntryPlan {
  EntryKind kind = EntryKind::kSkip;
  Digest expected{};  // kNamedBlob
};

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

absl::Status Unexpected(absl::string_view name, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid image archive: entry \"", name, "\" ", why));
}

// The entry's name without "./" and trailing "/"; refuses absolute names and any "..".
absl::StatusOr<std::string> CleanName(absl::string_view raw) {
  absl::string_view name = raw;
  while (absl::ConsumePrefix(&name, "./")) {
  }
  while (absl::ConsumeSuffix(&name, "/")) {
  }
  if (name.empty() || name == ".") return std::string();
  if (name.front() == '/') return Unexpected(raw, "has an absolute path");
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return Unexpected(raw, "is not a plain relative path");
    }
  }
  return std::string(name);
}

absl::StatusOr<EntryPlan> Classify(const std::string& name, archive_entry* entry) {
  const mode_t type = archive_entry_filetype(entry);
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (name.empty()) return EntryPlan{};
  if (type == AE_IFDIR) {
    if (name == "blobs" || name == "blobs/sha256" || (parts.size() == 1 && IsHex64(name))) {
      return EntryPlan{};
    }
    return Unexpected(name, "is a directory that does not belong in an image archive");
  }
  if (type == AE_IFLNK) {
    if (parts.size() == 2 && IsHex64(parts[0]) && parts[1] == "layer.tar") {
      return EntryPlan{EntryKind::kLayerLink};
    }
    return Unexpected(name, "is a symbolic link");
  }
  if (type != AE_IFREG) return Unexpected(name, "is not a regular file");
  if (name == "manifest.json" || name == "index.json" || name == "repositories" ||
      name == "oci-layout") {
    return EntryPlan{EntryKind::kFile};
  }
  absl::string_view hex;
  if (parts.size() == 3 && parts[0] == "blobs" && parts[1] == "sha256" && IsHex64(parts[2])) {
    hex = parts[2];
  } else if (parts.size() == 1 && absl::EndsWith(name, ".json") && IsHex64(name.substr(0, 64)) &&
             name.size() == 69) {
    hex = absl::string_view(name).substr(0, 64);
  } else if (parts.size() == 2 && IsHex64(parts[0])) {
    if (parts[1] == "layer.tar") return EntryPlan{EntryKind::kUnnamedBlob};
    if (parts[1] == "json" || parts[1] == "VERSION") return EntryPlan{};
    return Unexpected(name, "does not belong in an image archive");
  } else {
    return Unexpected(name, "does not belong in an image archive");
  }
  BERTH_ASSIGN_OR_RETURN(Digest digest, Digest::Parse(absl::StrCat("sha256:", hex)));
  return EntryPlan{EntryKind::kNamedBlob, digest};
}

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

std::string ArchiveMessage(archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown error";
}

}  // namespace

absl::StatusOr<std::unique_ptr<StagedArchive>> StagedArchive::Read(ContentStore& content, int fd,
                                                                   const std::string& ref_prefix) {
  std::unique_ptr<StagedArchive> staged(new StagedArchive(content, ref_prefix));
  BERTH_RETURN_IF_ERROR(staged->ReadAll(fd));
  return staged;
}

StagedArchive::~StagedArchive() {
  for (auto& [digest, blob] : blobs_) {
    if (blob.writer == nullptr) continue;
    blob.writer.reset();
    (void)content_.Abort(blob.ref);
  }
}

absl::Status StagedArchive::ReadAll(int fd) {
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (a == nullptr) return absl::ResourceExhaustedError("allocating a libarchive reader");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, kChunk) != ARCHIVE_OK) {
    return absl::InvalidArgumentError(absl::StrCat("not a tar archive: ", ArchiveMessage(a.get())));
  }
  std::string buffer(kChunk, '\0');
  int entries = 0;
  for (;;) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      return absl::InvalidArgumentError(
          absl::StrCat(entries == 0 ? "not a tar archive: " : "reading image archive: ",
                       ArchiveMessage(a.get())));
    }
    ++entries;
    const char* raw_name = archive_entry_pathname(entry);
    BERTH_ASSIGN_OR_RETURN(std::string name, CleanName(raw_name != nullptr ? raw_name : ""));
    BERTH_ASSIGN_OR_RETURN(EntryPlan plan, Classify(name, entry));
    if (plan.kind == EntryKind::kLayerLink) {
      const char* target = archive_entry_symlink(entry);
      absl::string_view t = target != nullptr ? target : "";
      if (!absl::ConsumePrefix(&t, "../") || t.size() != 74 || !IsHex64(t.substr(0, 64)) ||
          t.substr(64) != "/layer.tar") {
        return Unexpected(name, "links outside the archive's layers");
      }
      links_[name] = std::string(t);
      continue;
    }
    if (plan.kind == EntryKind::kSkip) continue;
    if (files_.contains(name) || paths_.contains(name)) return Unexpected(name, "appears twice");
    const int64_t size = archive_entry_size(entry);
    if (plan.kind == EntryKind::kFile && size > kMaxFileBytes) {
      return Unexpected(name, "is too large");
    }

    // Where the bytes go: a string for files, an ingest (and maybe a string) for blobs.
    std::string kept;
    const bool keep = plan.kind == EntryKind::kFile ||
                      (size <= kMaxConfigBytes && kept_bytes_ + size <= kMaxKeptBytes);
    std::unique_ptr<ContentWriter> writer;
    std::string ref = absl::StrCat(ref_prefix_, name);
    if (plan.kind == EntryKind::kNamedBlob && !blobs_.contains(plan.expected)) {
      auto opened = content_.Writer(ref, size, &plan.expected);
      if (opened.ok()) {
        writer = std::move(*opened);
      } else if (!absl::IsAlreadyExists(opened.status())) {
        return opened.status();
      }
    } else if (plan.kind == EntryKind::kUnnamedBlob) {
      BERTH_ASSIGN_OR_RETURN(writer, content_.Writer(ref, size, nullptr));
    }
    if (writer != nullptr && writer->offset() != 0) BERTH_RETURN_IF_ERROR(writer->Truncate(0));
    Sha256Hasher hasher;
    std::string head;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buffer.data(), buffer.size());
      if (n < 0) {
        if (writer != nullptr) {
          writer.reset();
          (void)content_.Abort(ref);
        }
        return absl::InvalidArgumentError(
            absl::StrCat("reading \"", name, "\" from the archive: ", ArchiveMessage(a.get())));
      }
      if (n == 0) break;
      absl::string_view chunk(buffer.data(), static_cast<size_t>(n));
      hasher.Update(chunk);
      if (head.size() < 8)
        head.append(chunk.data(), std::min<size_t>(chunk.size(), 8 - head.size()));
      if (keep) kept.append(chunk.data(), chunk.size());
      if (writer != nullptr) {
        if (absl::Status s = writer->Write(chunk); !s.ok()) {
          writer.reset();
          (void)content_.Abort(ref);
          return s;
        }
      }
    }
    if (plan.kind == EntryKind::kFile) {
      files_[name] = std::move(kept);
      continue;
    }
    const int64_t read_size = static_cast<int64_t>(hasher.bytes());
    const Digest digest = hasher.Finish();
    if (plan.kind == EntryKind::kNamedBlob && digest != plan.expected) {
      if (writer != nullptr) {
        writer.reset();
        (void)content_.Abort(ref);
      }
      return absl::DataLossError(absl::StrCat("invalid image archive: \"", name, "\" has digest ",
                                              digest.str(), ", not the one it is named by"));
    }
    paths_[name] = digest;
    if (blobs_.contains(digest) || (writer != nullptr && content_.Info(digest).ok())) {
      if (writer != nullptr) {  // a second copy, or one the store has: drop it
        writer.reset();
        (void)content_.Abort(ref);
      }
      if (blobs_.contains(digest)) continue;
    }
    StagedBlob& blob = blobs_[digest];
    blob.ref = ref;
    blob.writer = std::move(writer);
    blob.digest = digest;
    blob.size = read_size;
    blob.head = std::move(head);
    if (keep) {
      kept_bytes_ += blob.size;
      blob.bytes = std::move(kept);
    }
  }
  if (entries == 0) return absl::InvalidArgumentError("not a tar archive: the input is empty");
  return absl::OkStatus();
}

const std::string* StagedArchive::File(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

absl::StatusOr<const StagedBlob*> StagedArchive::BlobAt(const std::string& path) const {
  absl::StatusOr<std::string> clean = CleanName(path);
  std::string name = clean.ok() ? *clean : path;
  for (int hops = 0; hops < 8; ++hops) {
    auto link = links_.find(name);
    if (link == links_.end()) break;
    name = link->second;
  }
  auto it = paths_.find(name);
  if (it == paths_.end()) {
    return absl::NotFoundError(
        absl::StrCat("invalid image archive: \"", path, "\" is named but not in the archive"));
  }
  return &blobs_.at(it->second);
}

const StagedBlob* StagedArchive::Blob(const Digest& digest) const {
  auto it = blobs_.find(digest);
  return it == blobs_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> StagedArchive::Read(const Digest& digest, int64_t max_size) const {
  if (const StagedBlob* blob = Blob(digest); blob != nullptr) {
    if (blob->bytes.has_value()) {
      if (blob->size > max_size) {
        return absl::ResourceExhaustedError(absl::StrCat("blob ", digest.str(), " is too large"));
      }
      return *blob->bytes;
    }
    if (blob->writer != nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("blob ", digest.str(), " is too large to be a manifest or config"));
    }
  }
  absl::StatusOr<std::string> bytes = content_.ReadBlob(digest, max_size);
  if (absl::IsNotFound(bytes.status())) {
    return absl::NotFoundError(
        absl::StrCat("invalid image archive: blob ", digest.str(), " is named but not in it"));
  }
  return bytes;
}

absl::Status StagedArchive::CommitAll(ImageRoot& root, const std::string& ns,
                                      const std::string& lease_id) {
  for (auto& [digest, blob] : blobs_) {
    auto hold = root.gc_lock().Shared();
    if (blob.writer != nullptr) {
      BERTH_RETURN_IF_ERROR(blob.writer->Commit(blob.size, &digest).status());
      blob.writer.reset();
    } else if (!content_.Info(digest).ok()) {
      return absl::AbortedError(
          absl::StrCat("blob ", digest.str(), " was removed while loading; try again"));
    }
    BERTH_RETURN_IF_ERROR(root.RecordBlob(ns, lease_id, digest));
  }
  return absl::OkStatus();
}

}  // namespace berth::images
