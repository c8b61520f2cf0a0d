#include "services/images/core/metadata_store.h"

#include <errno.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/random_hex.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

using sqlite::Statement;

const std::vector<sqlite::Migration>& Migrations() {
  static const auto* migrations = new std::vector<sqlite::Migration>{
      {1, R"sql(
CREATE TABLE images (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  labels TEXT NOT NULL,  -- a JSON object of strings
  created_ns INTEGER NOT NULL,
  updated_ns INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
CREATE TABLE content (
  namespace TEXT NOT NULL,
  digest TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  updated_ns INTEGER NOT NULL,
  PRIMARY KEY (namespace, digest)
) WITHOUT ROWID;
CREATE TABLE content_labels (
  namespace TEXT NOT NULL,
  digest TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (namespace, digest, key),
  FOREIGN KEY (namespace, digest) REFERENCES content (namespace, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE leases (
  namespace TEXT NOT NULL,
  id TEXT NOT NULL,
  labels TEXT NOT NULL,  -- a JSON object of strings
  created_ns INTEGER NOT NULL,
  expire_ns INTEGER,     -- NULL: until deleted
  PRIMARY KEY (namespace, id)
) WITHOUT ROWID;
CREATE TABLE lease_resources (
  namespace TEXT NOT NULL,
  lease_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (namespace, lease_id, kind, key),
  FOREIGN KEY (namespace, lease_id) REFERENCES leases (namespace, id) ON DELETE CASCADE
) WITHOUT ROWID;
)sql"},
  };
  return *migrations;
}

int64_t NowNs() { return absl::ToUnixNanos(absl::Now()); }
absl::Time FromNs(int64_t ns) { return absl::FromUnixNanos(ns); }

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", absl::CHexEscape(s), "\""); }

absl::Status BindOne(Statement& stmt, int index, absl::string_view text) {
  return stmt.Bind(index, text);
}
absl::Status BindOne(Statement& stmt, int index, int64_t value) { return stmt.Bind(index, value); }
absl::Status BindOne(Statement& stmt, int index, std::optional<int64_t> value) {
  return value ? stmt.Bind(index, *value) : stmt.Bind(index, nullptr);
}

// A prepared statement with its arguments bound in order.
template <typename... Args>
absl::StatusOr<Statement> Query(sqlite::Database& db, absl::string_view sql, const Args&... args) {
  BERTH_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql));
  int index = 0;
  absl::Status status;
  (status.Update(BindOne(stmt, ++index, args)), ...);
  BERTH_RETURN_IF_ERROR(status);
  return stmt;
}

// Runs a statement that returns no rows; the number of rows it changed.
template <typename... Args>
absl::StatusOr<int> Run(sqlite::Database& db, absl::string_view sql, const Args&... args) {
  BERTH_ASSIGN_OR_RETURN(Statement stmt, Query(db, sql, args...));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  while (row) {
    BERTH_ASSIGN_OR_RETURN(row, stmt.Step());
  }
  return db.Changes();
}

std::string LabelsJson(const Labels& labels) { return nlohmann::json(labels).dump(); }

absl::StatusOr<Labels> ParseLabels(const std::string& text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object())
    return absl::DataLossError(absl::StrCat("stored labels are not an object"));
  Labels labels;
  for (const auto& [key, value] : json.items()) {
    if (!value.is_string()) return absl::DataLossError(absl::StrCat("stored label ", key));
    labels[key] = value.get<std::string>();
  }
  return labels;
}

absl::Status CheckDigest(const Digest& digest) {
  return digest.empty() ? absl::InvalidArgumentError("empty digest") : absl::OkStatus();
}

absl::Status CheckImage(absl::string_view ns, const ImageRecord& image) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  if (image.name.empty()) return absl::InvalidArgumentError("image name is empty");
  if (image.target.digest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("image ", Quoted(image.name), " has no target digest"));
  }
  if (image.target.size < 0) return absl::InvalidArgumentError("negative image target size");
  return absl::OkStatus();
}

absl::Status CheckLeaseResource(absl::string_view kind, absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("empty lease resource key");
  if (kind == kLeaseContent) return Digest::Parse(key).status();
  if (kind == kLeaseIngests) return absl::OkStatus();
  if (absl::StartsWith(kind, kLeaseSnapshotsPrefix) &&
      kind.size() > sizeof(kLeaseSnapshotsPrefix) - 1) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown lease resource kind ", Quoted(kind),
                   ": want \"content\", \"ingests\" or \"snapshots/<snapshotter>\""));
}

absl::StatusOr<std::string> NewLeaseId() {
  return absl::StrCat(absl::ToUnixNanos(absl::Now()), "-", RandomHex(12));
}

absl::Status NotFoundIn(absl::string_view what, absl::string_view name, absl::string_view ns) {
  return absl::NotFoundError(
      absl::StrCat(what, " ", Quoted(name), " not found in namespace ", Quoted(ns)));
}

}  // namespace

absl::Status ValidateNamespace(absl::string_view ns) {
  auto edge = [](char c) { return absl::ascii_isalnum(c); };
  bool valid = !ns.empty() && ns.size() <= 76 && edge(ns.front()) && edge(ns.back());
  for (char c : ns) valid = valid && (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-');
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid namespace ", Quoted(ns),
                     ": want 1-76 of [A-Za-z0-9._-], starting and ending with a letter or digit"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path));
  BERTH_RETURN_IF_ERROR(sqlite::Migrate(db, Migrations()));
  return std::unique_ptr<MetadataStore>(new MetadataStore(std::move(db)));
}

absl::StatusOr<std::vector<std::string>> MetadataStore::ListNamespaces() {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement stmt, Query(db_,
                                               "SELECT namespace FROM images UNION "
                                               "SELECT namespace FROM content UNION "
                                               "SELECT namespace FROM leases ORDER BY 1"));
  std::vector<std::string> out;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    out.push_back(stmt.Text(0));
  }
}

// ---- images ----

namespace {
constexpr char kImageColumns[] =
    "SELECT name, media_type, digest, size, labels, created_ns, updated_ns FROM images";

absl::StatusOr<ImageRecord> ReadImage(const Statement& stmt) {
  ImageRecord image;
  image.name = stmt.Text(0);
  image.target.media_type = stmt.Text(1);
  BERTH_ASSIGN_OR_RETURN(image.target.digest, Digest::Parse(stmt.Text(2)));
  image.target.size = stmt.Int64(3);
  BERTH_ASSIGN_OR_RETURN(image.labels, ParseLabels(stmt.Text(4)));
  image.created = FromNs(stmt.Int64(5));
  image.updated = FromNs(stmt.Int64(6));
  return image;
}
}  // namespace

absl::StatusOr<ImageRecord> MetadataStore::GetImageLocked(absl::string_view ns,
                                                          absl::string_view name) {
  BERTH_ASSIGN_OR_RETURN(
      Statement stmt,
      Query(db_, absl::StrCat(kImageColumns, " WHERE namespace = ? AND name = ?"), ns, name));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFoundIn("image", name, ns);
  return ReadImage(stmt);
}

absl::StatusOr<ImageRecord> MetadataStore::CreateImage(absl::string_view ns,
                                                       const ImageRecord& image) {
  BERTH_RETURN_IF_ERROR(CheckImage(ns, image));
  std::lock_guard lock(mu_);
  absl::StatusOr<ImageRecord> out;
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    if (GetImageLocked(ns, image.name).ok()) {
      return absl::AlreadyExistsError(
          absl::StrCat("image ", Quoted(image.name), " already exists in namespace ", Quoted(ns)));
    }
    const int64_t now = NowNs();
    BERTH_RETURN_IF_ERROR(Run(db_, "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ns,
                              image.name, image.target.media_type, image.target.digest.str(),
                              image.target.size, LabelsJson(image.labels), now, now)
                              .status());
    out = GetImageLocked(ns, image.name);
    return out.status();
  }));
  return out;
}

absl::StatusOr<ImageRecord> MetadataStore::PutImage(absl::string_view ns,
                                                    const ImageRecord& image) {
  BERTH_RETURN_IF_ERROR(CheckImage(ns, image));
  std::lock_guard lock(mu_);
  absl::StatusOr<ImageRecord> out;
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    const int64_t now = NowNs();
    BERTH_RETURN_IF_ERROR(Run(db_,
                              "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                              "ON CONFLICT (namespace, name) DO UPDATE SET "
                              "media_type = excluded.media_type, digest = excluded.digest, "
                              "size = excluded.size, labels = excluded.labels, "
                              "updated_ns = excluded.updated_ns",
                              ns, image.name, image.target.media_type, image.target.digest.str(),
                              image.target.size, LabelsJson(image.labels), now, now)
                              .status());
    out = GetImageLocked(ns, image.name);
    return out.status();
  }));
  return out;
}

absl::StatusOr<ImageRecord> MetadataStore::GetImage(absl::string_view ns, absl::string_view name) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  return GetImageLocked(ns, name);
}

absl::StatusOr<std::vector<ImageRecord>> MetadataStore::ListImages(absl::string_view ns) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement stmt,
      Query(db_, absl::StrCat(kImageColumns, " WHERE namespace = ? ORDER BY name"), ns));
  std::vector<ImageRecord> out;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    BERTH_ASSIGN_OR_RETURN(ImageRecord image, ReadImage(stmt));
    out.push_back(std::move(image));
  }
}

absl::Status MetadataStore::DeleteImage(absl::string_view ns, absl::string_view name) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(int changed,
                         Run(db_, "DELETE FROM images WHERE namespace = ? AND name = ?", ns, name));
  return changed == 0 ? NotFoundIn("image", name, ns) : absl::OkStatus();
}

// ---- content ----

absl::Status MetadataStore::AddContent(absl::string_view ns, const Digest& digest) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  BERTH_RETURN_IF_ERROR(CheckDigest(digest));
  std::lock_guard lock(mu_);
  const int64_t now = NowNs();
  return Run(db_, "INSERT OR IGNORE INTO content VALUES (?, ?, ?, ?)", ns, digest.str(), now, now)
      .status();
}

absl::Status MetadataStore::WriteContentLabels(absl::string_view ns, const Digest& digest,
                                               const Labels& labels) {
  const int64_t now = NowNs();
  BERTH_RETURN_IF_ERROR(Run(db_,
                            "INSERT INTO content VALUES (?, ?, ?, ?) ON CONFLICT "
                            "(namespace, digest) DO UPDATE SET updated_ns = excluded.updated_ns",
                            ns, digest.str(), now, now)
                            .status());
  BERTH_RETURN_IF_ERROR(
      Run(db_, "DELETE FROM content_labels WHERE namespace = ? AND digest = ?", ns, digest.str())
          .status());
  for (const auto& [key, value] : labels) {
    if (value.empty()) continue;  // an empty value is no label (containerd's rule)
    BERTH_RETURN_IF_ERROR(
        Run(db_, "INSERT INTO content_labels VALUES (?, ?, ?, ?)", ns, digest.str(), key, value)
            .status());
  }
  return absl::OkStatus();
}

absl::Status MetadataStore::SetContentLabels(absl::string_view ns, const Digest& digest,
                                             const Labels& labels) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  BERTH_RETURN_IF_ERROR(CheckDigest(digest));
  std::lock_guard lock(mu_);
  return db_.Transaction([&] { return WriteContentLabels(ns, digest, labels); });
}

absl::StatusOr<ContentRecord> MetadataStore::GetContentLocked(absl::string_view ns,
                                                              const Digest& digest) {
  BERTH_ASSIGN_OR_RETURN(Statement stmt, Query(db_,
                                               "SELECT created_ns, updated_ns FROM content "
                                               "WHERE namespace = ? AND digest = ?",
                                               ns, digest.str()));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFoundIn("content", digest.str(), ns);
  ContentRecord record{digest, {}, FromNs(stmt.Int64(0)), FromNs(stmt.Int64(1))};
  BERTH_ASSIGN_OR_RETURN(Statement labels, Query(db_,
                                                 "SELECT key, value FROM content_labels "
                                                 "WHERE namespace = ? AND digest = ?",
                                                 ns, digest.str()));
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(row, labels.Step());
    if (!row) return record;
    record.labels[labels.Text(0)] = labels.Text(1);
  }
}

absl::StatusOr<ContentRecord> MetadataStore::GetContent(absl::string_view ns,
                                                        const Digest& digest) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  BERTH_RETURN_IF_ERROR(CheckDigest(digest));
  std::lock_guard lock(mu_);
  absl::StatusOr<ContentRecord> out;
  // One transaction, so the row and its labels are read at the same moment.
  BERTH_RETURN_IF_ERROR(db_.Transaction([&] {
    out = GetContentLocked(ns, digest);
    return out.status();
  }));
  return out;
}

absl::StatusOr<Labels> MetadataStore::GetContentLabels(absl::string_view ns, const Digest& digest) {
  BERTH_ASSIGN_OR_RETURN(ContentRecord record, GetContent(ns, digest));
  return std::move(record.labels);
}

absl::StatusOr<Labels> MetadataStore::UpdateContentLabels(
    absl::string_view ns, const Digest& digest, const Labels& labels,
    const std::vector<std::string>& field_paths) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  BERTH_RETURN_IF_ERROR(CheckDigest(digest));
  std::lock_guard lock(mu_);
  Labels result;
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(ContentRecord record, GetContentLocked(ns, digest));
    result = std::move(record.labels);
    bool replace_all = field_paths.empty();
    for (const std::string& path : field_paths) {
      if (path == "labels") {
        replace_all = true;
      } else if (absl::StartsWith(path, "labels.") && path.size() > 7) {
        const std::string key = path.substr(7);
        auto it = labels.find(key);
        if (it == labels.end() || it->second.empty()) {
          result.erase(key);
        } else {
          result[key] = it->second;
        }
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot update field ", Quoted(path), " of content: only labels"));
      }
    }
    if (replace_all) result = labels;
    std::erase_if(result, [](const auto& kv) { return kv.second.empty(); });
    return WriteContentLabels(ns, digest, result);
  }));
  return result;
}

absl::StatusOr<std::vector<ContentRecord>> MetadataStore::ListContent(absl::string_view ns) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement stmt,
      Query(db_,
            "SELECT c.digest, c.created_ns, c.updated_ns, l.key, l.value FROM content c "
            "LEFT JOIN content_labels l ON l.namespace = c.namespace AND l.digest = c.digest "
            "WHERE c.namespace = ? ORDER BY c.digest, l.key",
            ns));
  std::vector<ContentRecord> out;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    std::string digest = stmt.Text(0);
    if (out.empty() || out.back().digest.str() != digest) {
      BERTH_ASSIGN_OR_RETURN(Digest parsed, Digest::Parse(digest));
      out.push_back({parsed, {}, FromNs(stmt.Int64(1)), FromNs(stmt.Int64(2))});
    }
    if (!stmt.IsNull(3)) out.back().labels[stmt.Text(3)] = stmt.Text(4);
  }
}

absl::Status MetadataStore::RemoveContent(absl::string_view ns, const Digest& digest) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  BERTH_RETURN_IF_ERROR(CheckDigest(digest));
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      int changed,
      Run(db_, "DELETE FROM content WHERE namespace = ? AND digest = ?", ns, digest.str()));
  return changed == 0 ? NotFoundIn("content", digest.str(), ns) : absl::OkStatus();
}

// ---- leases ----

absl::Status MetadataStore::RequireLease(absl::string_view ns, absl::string_view id) {
  BERTH_ASSIGN_OR_RETURN(Statement stmt,
                         Query(db_, "SELECT 1 FROM leases WHERE namespace = ? AND id = ?", ns, id));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? absl::OkStatus() : NotFoundIn("lease", id, ns);
}

absl::StatusOr<LeaseRecord> MetadataStore::CreateLease(absl::string_view ns, absl::string_view id,
                                                       const Labels& labels,
                                                       std::optional<absl::Time> expire_at) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  LeaseRecord lease{std::string(id), labels, absl::FromUnixNanos(NowNs()), expire_at};
  if (lease.id.empty()) {
    BERTH_ASSIGN_OR_RETURN(lease.id, NewLeaseId());
  }
  std::optional<int64_t> expire_ns;
  if (expire_at) expire_ns = absl::ToUnixNanos(*expire_at);
  std::lock_guard lock(mu_);
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    if (RequireLease(ns, lease.id).ok()) {
      return absl::AlreadyExistsError(
          absl::StrCat("lease ", Quoted(lease.id), " already exists in namespace ", Quoted(ns)));
    }
    return Run(db_, "INSERT INTO leases VALUES (?, ?, ?, ?, ?)", ns, lease.id, LabelsJson(labels),
               absl::ToUnixNanos(lease.created), expire_ns)
        .status();
  }));
  return lease;
}

absl::Status MetadataStore::DeleteLease(absl::string_view ns, absl::string_view id) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(int changed,
                         Run(db_, "DELETE FROM leases WHERE namespace = ? AND id = ?", ns, id));
  return changed == 0 ? NotFoundIn("lease", id, ns) : absl::OkStatus();
}

absl::StatusOr<std::vector<LeaseRecord>> MetadataStore::ListLeases(absl::string_view ns) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement stmt, Query(db_,
                                               "SELECT id, labels, created_ns, expire_ns "
                                               "FROM leases WHERE namespace = ? ORDER BY id",
                                               ns));
  std::vector<LeaseRecord> out;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    LeaseRecord lease;
    lease.id = stmt.Text(0);
    BERTH_ASSIGN_OR_RETURN(lease.labels, ParseLabels(stmt.Text(1)));
    lease.created = FromNs(stmt.Int64(2));
    if (!stmt.IsNull(3)) lease.expire_at = FromNs(stmt.Int64(3));
    out.push_back(std::move(lease));
  }
}

absl::Status MetadataStore::AddLeaseResource(absl::string_view ns, absl::string_view id,
                                             absl::string_view kind, absl::string_view key) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  BERTH_RETURN_IF_ERROR(CheckLeaseResource(kind, key));
  std::lock_guard lock(mu_);
  return db_.Transaction([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireLease(ns, id));
    return Run(db_, "INSERT OR IGNORE INTO lease_resources VALUES (?, ?, ?, ?)", ns, id, kind, key)
        .status();
  });
}

absl::Status MetadataStore::DeleteLeaseResource(absl::string_view ns, absl::string_view id,
                                                absl::string_view kind, absl::string_view key) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  return db_.Transaction([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireLease(ns, id));
    return Run(db_,
               "DELETE FROM lease_resources WHERE namespace = ? AND lease_id = ? AND kind = ? "
               "AND key = ?",
               ns, id, kind, key)
        .status();
  });
}

absl::StatusOr<std::vector<LeaseResource>> MetadataStore::ListLeaseResources(absl::string_view ns,
                                                                             absl::string_view id) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  std::vector<LeaseResource> out;
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireLease(ns, id));
    BERTH_ASSIGN_OR_RETURN(Statement stmt,
                           Query(db_,
                                 "SELECT kind, key FROM lease_resources WHERE namespace = ? "
                                 "AND lease_id = ? ORDER BY kind, key",
                                 ns, id));
    for (;;) {
      BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return absl::OkStatus();
      out.push_back({stmt.Text(0), stmt.Text(1)});
    }
  }));
  return out;
}

}  // namespace berth::images
