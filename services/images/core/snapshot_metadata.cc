#include "services/images/core/snapshot_metadata.h"

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace berth::images {
namespace {

const std::vector<sqlite::Migration>& Migrations() {
  static const auto* migrations = new std::vector<sqlite::Migration>{
      {1,
       // AUTOINCREMENT: a committed id is never handed out again, so a directory left by a
       // failed removal is never mistaken for a newer snapshot's.
       "CREATE TABLE snapshots ("
       "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  key TEXT NOT NULL UNIQUE,"
       "  parent_id INTEGER REFERENCES snapshots(id),"
       "  kind TEXT NOT NULL CHECK (kind IN ('active', 'view', 'committed')),"
       "  labels TEXT NOT NULL,"
       "  created_ns INTEGER NOT NULL,"
       "  updated_ns INTEGER NOT NULL);"
       "CREATE INDEX snapshots_by_parent ON snapshots(parent_id);"},
  };
  return *migrations;
}

absl::StatusOr<SnapshotKind> ParseKind(const std::string& text) {
  if (text == "active") return SnapshotKind::kActive;
  if (text == "view") return SnapshotKind::kView;
  if (text == "committed") return SnapshotKind::kCommitted;
  return absl::DataLossError(absl::StrCat("snapshot metadata: unknown kind \"", text, "\""));
}

std::string LabelsToJson(const Labels& labels) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [k, v] : labels) object[k] = v;
  return object.dump();
}

absl::StatusOr<Labels> LabelsFromJson(const std::string& text) {
  nlohmann::json object = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) {
    return absl::DataLossError(absl::StrCat("snapshot metadata: bad labels ", text));
  }
  Labels labels;
  for (const auto& [k, v] : object.items()) {
    if (!v.is_string()) {
      return absl::DataLossError(absl::StrCat("snapshot metadata: bad labels ", text));
    }
    labels[k] = v.get<std::string>();
  }
  return labels;
}

constexpr char kSelectInfo[] =
    "SELECT s.id, s.key, p.key, s.kind, s.labels, s.created_ns, s.updated_ns "
    "FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent_id ";

// Reads a row selected by kSelectInfo.
absl::StatusOr<SnapshotRecord> ReadRecord(const sqlite::Statement& stmt) {
  SnapshotRecord record;
  record.id = stmt.Int64(0);
  record.info.name = stmt.Text(1);
  record.info.parent = stmt.IsNull(2) ? "" : stmt.Text(2);
  BERTH_ASSIGN_OR_RETURN(record.info.kind, ParseKind(stmt.Text(3)));
  BERTH_ASSIGN_OR_RETURN(record.info.labels, LabelsFromJson(stmt.Text(4)));
  record.info.created = absl::FromUnixNanos(stmt.Int64(5));
  record.info.updated = absl::FromUnixNanos(stmt.Int64(6));
  return record;
}

absl::Status NotFound(const std::string& key) {
  return absl::NotFoundError(absl::StrCat("snapshot \"", key, "\" not found"));
}

absl::Status AlreadyExists(const std::string& key) {
  return absl::AlreadyExistsError(absl::StrCat("snapshot \"", key, "\" already exists"));
}

}  // namespace

absl::StatusOr<SnapshotMetadata> SnapshotMetadata::Open(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path));
  BERTH_RETURN_IF_ERROR(sqlite::Migrate(db, Migrations()));
  return SnapshotMetadata(std::move(db));
}

absl::StatusOr<SnapshotRecord> SnapshotMetadata::Get(const std::string& key) {
  BERTH_ASSIGN_OR_RETURN(sqlite::Statement stmt,
                         db_.Prepare(absl::StrCat(kSelectInfo, "WHERE s.key = ?1")));
  BERTH_RETURN_IF_ERROR(stmt.Bind(1, key));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound(key);
  BERTH_ASSIGN_OR_RETURN(SnapshotRecord record, ReadRecord(stmt));

  BERTH_ASSIGN_OR_RETURN(
      sqlite::Statement chain,
      db_.Prepare("WITH RECURSIVE chain(id, depth) AS ("
                  "  SELECT parent_id, 0 FROM snapshots WHERE id = ?1 AND parent_id IS NOT NULL"
                  "  UNION ALL SELECT s.parent_id, c.depth + 1 FROM snapshots s"
                  "  JOIN chain c ON s.id = c.id WHERE s.parent_id IS NOT NULL)"
                  "SELECT id FROM chain ORDER BY depth"));
  BERTH_RETURN_IF_ERROR(chain.Bind(1, record.id));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool more, chain.Step());
    if (!more) break;
    record.ancestor_ids.push_back(chain.Int64(0));
  }
  return record;
}

absl::StatusOr<int64_t> SnapshotMetadata::Create(const std::string& key, const std::string& parent,
                                                 SnapshotKind kind, const Labels& labels,
                                                 absl::Time now) {
  if (key.empty()) return absl::InvalidArgumentError("snapshot key is empty");
  if (kind == SnapshotKind::kCommitted) {
    return absl::InvalidArgumentError("a snapshot is created active or view, never committed");
  }
  if (absl::StatusOr<SnapshotRecord> existing = Get(key); existing.ok()) {
    return AlreadyExists(key);
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  std::optional<int64_t> parent_id;
  if (!parent.empty()) {
    absl::StatusOr<SnapshotRecord> p = Get(parent);
    if (absl::IsNotFound(p.status())) {
      return absl::NotFoundError(absl::StrCat("parent snapshot \"", parent, "\" not found"));
    }
    BERTH_RETURN_IF_ERROR(p.status());
    if (p->info.kind != SnapshotKind::kCommitted) {
      return absl::FailedPreconditionError(absl::StrCat("parent snapshot \"", parent, "\" is ",
                                                        SnapshotKindName(p->info.kind),
                                                        ", not committed"));
    }
    parent_id = p->id;
  }
  BERTH_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db_.Prepare("INSERT INTO snapshots (key, parent_id, kind, labels, created_ns, updated_ns) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?5)"));
  BERTH_RETURN_IF_ERROR(insert.Bind(1, key));
  BERTH_RETURN_IF_ERROR(parent_id ? insert.Bind(2, *parent_id) : insert.Bind(2, nullptr));
  BERTH_RETURN_IF_ERROR(insert.Bind(3, SnapshotKindName(kind)));
  BERTH_RETURN_IF_ERROR(insert.Bind(4, LabelsToJson(labels)));
  BERTH_RETURN_IF_ERROR(insert.Bind(5, absl::ToUnixNanos(now)));
  BERTH_RETURN_IF_ERROR(insert.Step().status());
  return db_.LastInsertRowId();
}

absl::StatusOr<int64_t> SnapshotMetadata::Commit(const std::string& name, const std::string& key,
                                                 const Labels& labels, absl::Time now) {
  if (name.empty()) return absl::InvalidArgumentError("snapshot name is empty");
  BERTH_ASSIGN_OR_RETURN(SnapshotRecord active, Get(key));
  if (active.info.kind != SnapshotKind::kActive) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot \"", key, "\" is ", SnapshotKindName(active.info.kind), ", not active"));
  }
  if (name != key) {
    if (absl::StatusOr<SnapshotRecord> existing = Get(name); existing.ok()) {
      return AlreadyExists(name);
    } else if (!absl::IsNotFound(existing.status())) {
      return existing.status();
    }
  }
  BERTH_ASSIGN_OR_RETURN(
      sqlite::Statement update,
      db_.Prepare("UPDATE snapshots SET key = ?1, kind = 'committed', labels = ?2, "
                  "updated_ns = ?3 WHERE id = ?4"));
  BERTH_RETURN_IF_ERROR(update.Bind(1, name));
  BERTH_RETURN_IF_ERROR(update.Bind(2, LabelsToJson(labels)));
  BERTH_RETURN_IF_ERROR(update.Bind(3, absl::ToUnixNanos(now)));
  BERTH_RETURN_IF_ERROR(update.Bind(4, active.id));
  BERTH_RETURN_IF_ERROR(update.Step().status());
  return active.id;
}

absl::StatusOr<int64_t> SnapshotMetadata::Remove(const std::string& key) {
  BERTH_ASSIGN_OR_RETURN(SnapshotRecord record, Get(key));
  BERTH_ASSIGN_OR_RETURN(sqlite::Statement children,
                         db_.Prepare("SELECT count(*) FROM snapshots WHERE parent_id = ?1"));
  BERTH_RETURN_IF_ERROR(children.Bind(1, record.id));
  BERTH_RETURN_IF_ERROR(children.Step().status());
  if (int64_t n = children.Int64(0); n > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot \"", key, "\" has ", n, " child snapshot(s)"));
  }
  BERTH_ASSIGN_OR_RETURN(sqlite::Statement del, db_.Prepare("DELETE FROM snapshots WHERE id = ?1"));
  BERTH_RETURN_IF_ERROR(del.Bind(1, record.id));
  BERTH_RETURN_IF_ERROR(del.Step().status());
  return record.id;
}

absl::StatusOr<SnapshotInfo> SnapshotMetadata::Update(const SnapshotInfo& info,
                                                      const std::vector<std::string>& field_paths,
                                                      absl::Time now) {
  BERTH_ASSIGN_OR_RETURN(SnapshotRecord record, Get(info.name));
  Labels labels = record.info.labels;
  if (field_paths.empty()) labels = info.labels;
  for (const std::string& path : field_paths) {
    if (path == "labels") {
      labels = info.labels;
    } else if (absl::StartsWith(path, "labels.")) {
      std::string label = path.substr(sizeof("labels.") - 1);
      if (auto it = info.labels.find(label); it != info.labels.end()) {
        labels[label] = it->second;
      } else {
        labels.erase(label);
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot update field \"", path, "\" of a snapshot (only labels)"));
    }
  }
  BERTH_ASSIGN_OR_RETURN(
      sqlite::Statement update,
      db_.Prepare("UPDATE snapshots SET labels = ?1, updated_ns = ?2 WHERE id = ?3"));
  BERTH_RETURN_IF_ERROR(update.Bind(1, LabelsToJson(labels)));
  BERTH_RETURN_IF_ERROR(update.Bind(2, absl::ToUnixNanos(now)));
  BERTH_RETURN_IF_ERROR(update.Bind(3, record.id));
  BERTH_RETURN_IF_ERROR(update.Step().status());
  record.info.labels = std::move(labels);
  record.info.updated = now;
  return record.info;
}

absl::StatusOr<std::vector<SnapshotInfo>> SnapshotMetadata::List() {
  BERTH_ASSIGN_OR_RETURN(sqlite::Statement stmt,
                         db_.Prepare(absl::StrCat(kSelectInfo, "ORDER BY s.id")));
  std::vector<SnapshotInfo> infos;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    BERTH_ASSIGN_OR_RETURN(SnapshotRecord record, ReadRecord(stmt));
    infos.push_back(std::move(record.info));
  }
  return infos;
}

absl::StatusOr<std::set<int64_t>> SnapshotMetadata::Ids() {
  BERTH_ASSIGN_OR_RETURN(sqlite::Statement stmt, db_.Prepare("SELECT id FROM snapshots"));
  std::set<int64_t> ids;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ids.insert(stmt.Int64(0));
  }
  return ids;
}

}  // namespace berth::images
