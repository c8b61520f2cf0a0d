#include "services/images/core/image_archive_import.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/image_archive_record.h"
#include "services/images/core/image_config_changes.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/image_root.h"

namespace berth::images {
namespace {

constexpr size_t kChunk = 1 << 20;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

absl::Status ReadError(archive* a) {
  const char* msg = archive_error_string(a);
  return absl::InvalidArgumentError(
      absl::StrCat("reading the tarball: ", msg != nullptr ? msg : "unknown error"));
}

// Decompresses `fd` into `writer`. InvalidArgument unless the result starts like a tar.
absl::Status CopyDecompressed(int fd, ContentWriter& writer) {
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (a == nullptr) return absl::ResourceExhaustedError("allocating a libarchive reader");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_fd(a.get(), fd, kChunk) != ARCHIVE_OK) return ReadError(a.get());
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(a.get(), &entry);
  if (rc == ARCHIVE_EOF) return absl::InvalidArgumentError("the tarball is empty");
  if (rc < ARCHIVE_WARN) return ReadError(a.get());
  std::string buffer(kChunk, '\0');
  std::string head;
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buffer.data(), buffer.size());
    if (n < 0) return ReadError(a.get());
    if (n == 0) break;
    absl::string_view chunk(buffer.data(), static_cast<size_t>(n));
    if (head.size() < 512) head.append(chunk.data(), std::min(chunk.size(), 512 - head.size()));
    BERTH_RETURN_IF_ERROR(writer.Write(chunk));
  }
  // Every tar libarchive or Go writes (ustar, PAX, GNU) has "ustar" at offset 257.
  if (head.size() < 512 || head.compare(257, 5, "ustar") != 0) {
    return absl::InvalidArgumentError("the input is not a tar archive");
  }
  return absl::OkStatus();
}

ImageConfig NewConfig(const ImportOptions& options, const Digest& diff_id) {
  const Platform platform = options.platform.value_or(HostPlatform());
  ImageConfig config;
  config.architecture = platform.architecture;
  config.os = platform.os;
  config.variant = platform.variant;
  config.created = absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::Now(), absl::UTCTimeZone());
  config.diff_ids = {diff_id};
  HistoryEntry history;
  history.created = config.created;
  history.comment = options.message.empty() ? "Imported from -" : options.message;
  config.history.push_back(std::move(history));
  return config;
}

}  // namespace

absl::StatusOr<ImportedImage> ImportRootfs(ImageRoot& root, const std::string& ns, int fd,
                                           const ImportOptions& options) {
  ContainerConfig changed;
  BERTH_RETURN_IF_ERROR(ApplyChanges(options.changes, &changed));
  std::string name;
  if (!options.reference.empty()) {
    BERTH_ASSIGN_OR_RETURN(ImageReference ref, ParseImageReference(options.reference));
    if (!ref.digest.empty()) {
      return absl::InvalidArgumentError("an imported image is tagged, not named by digest");
    }
    name = ref.String();
  }
  BERTH_ASSIGN_OR_RETURN(std::string lease, CreateTransferLease(root, ns, "import"));
  absl::Cleanup end_lease = [&] { (void)root.metadata().DeleteLease(ns, lease); };

  // The layer, uncompressed.
  const std::string ref = absl::StrCat("import-", lease);
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<ContentWriter> writer, root.content().Writer(ref));
  if (absl::Status copied = CopyDecompressed(fd, *writer); !copied.ok()) {
    writer.reset();
    (void)root.content().Abort(ref);
    return copied;
  }
  Descriptor layer{.media_type = std::string(media_type::kOciLayerTar),
                   .digest = writer->digest(),
                   .size = writer->offset()};
  {
    auto hold = root.gc_lock().Shared();
    BERTH_RETURN_IF_ERROR(writer->Commit(-1, &layer.digest).status());
    BERTH_RETURN_IF_ERROR(root.RecordBlob(ns, lease, layer.digest));
  }

  ArchiveImage image;
  image.config = NewConfig(options, layer.digest);
  image.config.config = std::move(changed);
  const std::string config_bytes = SerializeImageConfig(image.config);
  BERTH_ASSIGN_OR_RETURN(Digest config_digest, root.WriteBlob(ns, lease, config_bytes));
  image.manifest.media_type = std::string(media_type::kOciManifest);
  image.manifest.config = {.media_type = std::string(media_type::kOciConfig),
                           .digest = config_digest,
                           .size = static_cast<int64_t>(config_bytes.size())};
  image.manifest.layers = {layer};
  const std::string manifest_bytes = SerializeManifest(image.manifest);
  BERTH_ASSIGN_OR_RETURN(Digest manifest_digest, root.WriteBlob(ns, lease, manifest_bytes));
  image.target = {.media_type = image.manifest.media_type,
                  .digest = manifest_digest,
                  .size = static_cast<int64_t>(manifest_bytes.size())};
  image.manifest_descriptor = image.target;
  BERTH_RETURN_IF_ERROR(UnpackImage(root, ns, lease, image));

  ImportedImage imported{.image_id = config_digest, .manifest = image.target};
  if (name.empty()) {
    BERTH_RETURN_IF_ERROR(NameImage(root, ns,
                                    {absl::StrCat(kDanglingImagePrefix, manifest_digest.str())},
                                    image.target)
                              .status());
    return imported;
  }
  ImageRecord record;
  record.name = name;
  record.target = {.media_type = image.target.media_type,
                   .digest = image.target.digest,
                   .size = image.target.size};
  record.labels = options.labels;
  BERTH_ASSIGN_OR_RETURN(imported.record, root.metadata().PutImage(ns, record));
  return imported;
}

}  // namespace berth::images
