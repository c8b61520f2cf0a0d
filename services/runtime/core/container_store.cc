// ContainerStore over SQLite: one row per container, state in columns, labels in their
// own table, the API's spec as an uninterpreted BLOB.
#include "services/runtime/core/container_store.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "services/runtime/core/container_names.h"

namespace berth::runtime {
namespace {

using sqlite::Statement;

const std::vector<sqlite::Migration>& Migrations() {
  static const auto* migrations = new std::vector<sqlite::Migration>{
      {1, R"sql(
CREATE TABLE containers (
  id TEXT NOT NULL PRIMARY KEY,  -- 64 hex, unique across namespaces
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  updated_ns INTEGER NOT NULL,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  snapshotter TEXT NOT NULL,
  snapshot_key TEXT NOT NULL,
  restart_policy TEXT NOT NULL,  -- Docker's --restart form, "on-failure:3"
  spec BLOB NOT NULL,            -- opaque to the store
  bundle_dir TEXT NOT NULL,
  shim_socket TEXT NOT NULL,
  status TEXT NOT NULL,          -- Docker's name, "running"
  pid INTEGER NOT NULL,
  exit_code INTEGER NOT NULL,
  oom_killed INTEGER NOT NULL,
  error TEXT NOT NULL,
  started_ns INTEGER,            -- NULL: never
  finished_ns INTEGER,           -- NULL: never
  restart_count INTEGER NOT NULL,
  stopped_by_user INTEGER NOT NULL,
  UNIQUE (namespace, name)
);
CREATE INDEX containers_by_age ON containers (namespace, created_ns);
CREATE TABLE container_labels (
  container_id TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (container_id, key)
) WITHOUT ROWID;
)sql"},
      {2, R"sql(
-- The container's resolved mounts, opaque to the store (the API's MountPoints).
ALTER TABLE containers ADD COLUMN mounts BLOB NOT NULL DEFAULT x'';
)sql"},
      {3, R"sql(
-- The running task's health check state, opaque to the store (the API's Health), so a
-- restarted runtime reports what the checks last found.
ALTER TABLE containers ADD COLUMN health BLOB NOT NULL DEFAULT x'';
)sql"},
  };
  return *migrations;
}

// In bind order for writes; reads leave out `namespace`.
constexpr absl::string_view kColumns[] = {
    "id",          "namespace",   "name",          "created_ns",      "updated_ns", "image",
    "image_id",    "snapshotter", "snapshot_key",  "restart_policy",  "spec",       "bundle_dir",
    "shim_socket", "status",      "pid",           "exit_code",       "oom_killed", "error",
    "started_ns",  "finished_ns", "restart_count", "stopped_by_user", "mounts",     "health",
};

constexpr char kSelect[] =
    "SELECT id, name, created_ns, updated_ns, image, image_id, snapshotter, snapshot_key, "
    "restart_policy, spec, bundle_dir, shim_socket, status, pid, exit_code, oom_killed, error, "
    "started_ns, finished_ns, restart_count, stopped_by_user, mounts, health FROM containers";

// Bytes bound as a BLOB rather than TEXT.
struct Blob {
  absl::string_view bytes;
};

absl::Status BindOne(Statement& stmt, int index, absl::string_view text) {
  return stmt.Bind(index, text);
}
absl::Status BindOne(Statement& stmt, int index, int64_t value) { return stmt.Bind(index, value); }
absl::Status BindOne(Statement& stmt, int index, std::optional<int64_t> value) {
  return value ? stmt.Bind(index, *value) : stmt.Bind(index, nullptr);
}
absl::Status BindOne(Statement& stmt, int index, Blob blob) {
  return stmt.Bind(index,
                   absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(blob.bytes.data()),
                                             blob.bytes.size()));
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

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

// "Never" (InfinitePast) is NULL; InfiniteFuture saturates and comes back as itself.
std::optional<int64_t> NullableNanos(absl::Time t) {
  if (t == absl::InfinitePast()) return std::nullopt;
  return absl::ToUnixNanos(t);
}
absl::Time TimeFromColumn(const Statement& stmt, int column) {
  if (stmt.IsNull(column)) return absl::InfinitePast();
  const int64_t ns = stmt.Int64(column);
  if (ns == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixNanos(ns);
}

absl::StatusOr<ContainerRecord> ReadRow(const Statement& stmt) {
  ContainerRecord r;
  r.id = stmt.Text(0);
  r.name = stmt.Text(1);
  r.created = absl::FromUnixNanos(stmt.Int64(2));
  r.updated = absl::FromUnixNanos(stmt.Int64(3));
  r.image = stmt.Text(4);
  r.image_id = stmt.Text(5);
  r.snapshotter = stmt.Text(6);
  r.snapshot_key = stmt.Text(7);
  absl::StatusOr<RestartPolicy> policy = ParseRestartPolicy(stmt.Text(8));
  if (!policy.ok()) {
    return absl::DataLossError(
        absl::StrCat("container ", r.id, ": stored restart policy: ", policy.status().message()));
  }
  r.restart_policy = *policy;
  std::vector<uint8_t> spec = stmt.Blob(9);
  r.spec.assign(spec.begin(), spec.end());
  r.bundle_dir = stmt.Text(10);
  r.shim_socket = stmt.Text(11);
  absl::StatusOr<ContainerStatus> status = ParseContainerStatus(stmt.Text(12));
  if (!status.ok()) {
    return absl::DataLossError(
        absl::StrCat("container ", r.id, ": stored status: ", status.status().message()));
  }
  r.state.status = *status;
  r.state.pid = static_cast<int>(stmt.Int64(13));
  r.state.exit_code = static_cast<int>(stmt.Int64(14));
  r.state.oom_killed = stmt.Int64(15) != 0;
  r.state.error = stmt.Text(16);
  r.state.started_at = TimeFromColumn(stmt, 17);
  r.state.finished_at = TimeFromColumn(stmt, 18);
  r.state.restart_count = static_cast<int>(stmt.Int64(19));
  r.state.stopped_by_user = stmt.Int64(20) != 0;
  std::vector<uint8_t> mounts = stmt.Blob(21);
  r.mounts.assign(mounts.begin(), mounts.end());
  std::vector<uint8_t> health = stmt.Blob(22);
  r.health.assign(health.begin(), health.end());
  return r;
}

// containerd's namespace rule: 1-76 of [A-Za-z0-9._-], a letter or digit at each end.
absl::Status ValidateNamespace(absl::string_view ns) {
  auto edge = [](char c) { return absl::ascii_isalnum(c); };
  bool valid = !ns.empty() && ns.size() <= 76 && edge(ns.front()) && edge(ns.back());
  for (char c : ns) valid = valid && (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-');
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid namespace \"", ns,
                   "\": want 1-76 of [A-Za-z0-9._-], starting and ending with a letter or digit"));
}

absl::string_view StripSlash(absl::string_view name) {
  absl::ConsumePrefix(&name, "/");
  return name;
}

absl::Status NoSuchContainer(absl::string_view ref) {
  return absl::NotFoundError(absl::StrCat("No such container: ", ref));
}

bool IsIdPrefix(absl::string_view ref) {
  if (ref.empty() || ref.size() >= 64) return false;
  for (char c : ref) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ContainerStore>> ContainerStore::Open(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path));
  BERTH_RETURN_IF_ERROR(sqlite::Migrate(db, Migrations()));
  return std::unique_ptr<ContainerStore>(new ContainerStore(std::move(db)));
}

absl::StatusOr<ContainerRecord> ContainerStore::ReadLabelsLocked(ContainerRecord record) {
  BERTH_ASSIGN_OR_RETURN(
      Statement stmt,
      Query(db_, "SELECT key, value FROM container_labels WHERE container_id = ?", record.id));
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return record;
    record.labels[stmt.Text(0)] = stmt.Text(1);
  }
}

absl::StatusOr<ContainerRecord> ContainerStore::GetLocked(absl::string_view ns,
                                                          absl::string_view id) {
  BERTH_ASSIGN_OR_RETURN(
      Statement stmt, Query(db_, absl::StrCat(kSelect, " WHERE namespace = ? AND id = ?"), ns, id));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NoSuchContainer(id);
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, ReadRow(stmt));
  return ReadLabelsLocked(std::move(record));
}

absl::StatusOr<std::string> ContainerStore::IdByNameLocked(absl::string_view ns,
                                                           absl::string_view name) {
  BERTH_ASSIGN_OR_RETURN(
      Statement stmt,
      Query(db_, "SELECT id FROM containers WHERE namespace = ? AND name = ?", ns, name));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NoSuchContainer(name);
  return stmt.Text(0);
}

absl::Status ContainerStore::CheckNameFreeLocked(absl::string_view ns, absl::string_view name) {
  absl::StatusOr<std::string> holder = IdByNameLocked(ns, name);
  if (absl::IsNotFound(holder.status())) return absl::OkStatus();
  BERTH_RETURN_IF_ERROR(holder.status());
  return absl::AlreadyExistsError(absl::StrCat(
      "Conflict. The container name \"/", name, "\" is already in use by container \"", *holder,
      "\". You have to remove (or rename) that container to be able to reuse that "
      "name."));
}

absl::Status ContainerStore::WriteLocked(absl::string_view ns, const ContainerRecord& r,
                                         bool insert) {
  std::vector<absl::string_view> marks(std::size(kColumns), "?");
  const std::string columns = absl::StrJoin(kColumns, ", ");
  // The first "?" is the id, so the UPDATE's "?1" names it again.
  const std::string sql = !insert ? absl::StrCat("UPDATE containers SET (", columns, ") = (",
                                                 absl::StrJoin(marks, ", "), ") WHERE id = ?1")
                                  : absl::StrCat("INSERT INTO containers (", columns, ") VALUES (",
                                                 absl::StrJoin(marks, ", "), ")");
  const ContainerState& s = r.state;
  BERTH_RETURN_IF_ERROR(
      Run(db_, sql, absl::string_view(r.id), ns, absl::string_view(r.name), Nanos(r.created),
          Nanos(r.updated), absl::string_view(r.image), absl::string_view(r.image_id),
          absl::string_view(r.snapshotter), absl::string_view(r.snapshot_key),
          absl::string_view(RestartPolicyString(r.restart_policy)), Blob{r.spec},
          absl::string_view(r.bundle_dir), absl::string_view(r.shim_socket),
          ContainerStatusName(s.status), int64_t{s.pid}, int64_t{s.exit_code},
          int64_t{s.oom_killed}, absl::string_view(s.error), NullableNanos(s.started_at),
          NullableNanos(s.finished_at), int64_t{s.restart_count}, int64_t{s.stopped_by_user},
          Blob{r.mounts}, Blob{r.health})
          .status());
  BERTH_RETURN_IF_ERROR(
      Run(db_, "DELETE FROM container_labels WHERE container_id = ?", absl::string_view(r.id))
          .status());
  for (const auto& [key, value] : r.labels) {
    BERTH_RETURN_IF_ERROR(Run(db_, "INSERT INTO container_labels VALUES (?, ?, ?)",
                              absl::string_view(r.id), absl::string_view(key),
                              absl::string_view(value))
                              .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<ContainerRecord> ContainerStore::Create(absl::string_view ns,
                                                       ContainerRecord record) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  record.name = std::string(StripSlash(record.name));
  if (!record.name.empty()) BERTH_RETURN_IF_ERROR(ValidateContainerName(record.name));
  if (!record.id.empty() && !IsContainerId(record.id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid container ID \"", record.id, "\": want 64 lowercase hex digits"));
  }
  BERTH_RETURN_IF_ERROR(ValidateRestartPolicy(record.restart_policy));
  std::lock_guard lock(mu_);
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    if (record.name.empty()) {
      std::set<std::string, std::less<>> names;
      BERTH_ASSIGN_OR_RETURN(Statement stmt,
                             Query(db_, "SELECT name FROM containers WHERE namespace = ?", ns));
      for (;;) {
        BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
        if (!row) break;
        names.insert(stmt.Text(0));
      }
      record.name = GenerateContainerName([&](const std::string& n) { return names.contains(n); });
    }
    BERTH_RETURN_IF_ERROR(CheckNameFreeLocked(ns, record.name));
    const bool generate_id = record.id.empty();
    for (;;) {
      if (generate_id) record.id = NewContainerId();
      BERTH_ASSIGN_OR_RETURN(Statement stmt, Query(db_, "SELECT 1 FROM containers WHERE id = ?",
                                                   absl::string_view(record.id)));
      BERTH_ASSIGN_OR_RETURN(bool taken, stmt.Step());
      if (!taken) break;
      if (!generate_id) {
        return absl::AlreadyExistsError(
            absl::StrCat("container ID ", record.id, " already exists"));
      }
    }
    // Whole nanoseconds, so the record returned equals the one read back.
    record.created = record.updated = absl::FromUnixNanos(absl::ToUnixNanos(absl::Now()));
    return WriteLocked(ns, record, /*insert=*/true);
  }));
  return record;
}

absl::StatusOr<ContainerRecord> ContainerStore::Get(absl::string_view ns, absl::string_view id) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  absl::StatusOr<ContainerRecord> out;
  // One transaction, so the row and its labels are read at the same moment.
  BERTH_RETURN_IF_ERROR(db_.Transaction([&] {
    out = GetLocked(ns, id);
    return out.status();
  }));
  return out;
}

absl::StatusOr<ContainerRecord> ContainerStore::Resolve(absl::string_view ns,
                                                        absl::string_view ref) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  if (ref.empty()) return absl::InvalidArgumentError("invalid name or ID supplied: \"\"");
  std::lock_guard lock(mu_);
  absl::StatusOr<ContainerRecord> out;
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    // Docker's order: a full ID, then a name, then an ID prefix.
    if (IsContainerId(ref)) {
      out = GetLocked(ns, ref);
      if (!absl::IsNotFound(out.status())) return out.status();
    }
    absl::StatusOr<std::string> by_name = IdByNameLocked(ns, StripSlash(ref));
    if (by_name.ok()) {
      out = GetLocked(ns, *by_name);
      return out.status();
    }
    if (!absl::IsNotFound(by_name.status())) return by_name.status();
    if (!IsIdPrefix(ref)) return NoSuchContainer(ref);
    BERTH_ASSIGN_OR_RETURN(Statement stmt,
                           Query(db_,
                                 "SELECT id FROM containers WHERE namespace = ? AND "
                                 "substr(id, 1, ?) = ? LIMIT 2",
                                 ns, static_cast<int64_t>(ref.size()), ref));
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return NoSuchContainer(ref);
    const std::string id = stmt.Text(0);
    BERTH_ASSIGN_OR_RETURN(row, stmt.Step());
    if (row) {
      return absl::InvalidArgumentError(
          absl::StrCat("multiple IDs found with provided prefix: ", ref));
    }
    out = GetLocked(ns, id);
    return out.status();
  }));
  return out;
}

absl::StatusOr<std::vector<ContainerRecord>> ContainerStore::List(absl::string_view ns) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  std::vector<ContainerRecord> out;
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    // rowid breaks ties between containers created in the same nanosecond.
    BERTH_ASSIGN_OR_RETURN(
        Statement stmt,
        Query(db_,
              absl::StrCat(kSelect, " WHERE namespace = ? ORDER BY created_ns DESC, rowid DESC"),
              ns));
    for (;;) {
      BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      BERTH_ASSIGN_OR_RETURN(ContainerRecord record, ReadRow(stmt));
      out.push_back(std::move(record));
    }
    for (ContainerRecord& record : out) {
      BERTH_ASSIGN_OR_RETURN(record, ReadLabelsLocked(std::move(record)));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::string>> ContainerStore::ListNamespaces() {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement stmt,
                         Query(db_, "SELECT DISTINCT namespace FROM containers ORDER BY 1"));
  std::vector<std::string> out;
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    out.push_back(stmt.Text(0));
  }
}

absl::StatusOr<ContainerRecord> ContainerStore::Update(
    absl::string_view ns, absl::string_view id,
    const std::function<absl::Status(ContainerRecord&)>& mutate) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  ContainerRecord record;
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(const ContainerRecord before, GetLocked(ns, id));
    record = before;
    BERTH_RETURN_IF_ERROR(mutate(record));
    if (record.id != before.id) {
      return absl::InvalidArgumentError(
          absl::StrCat("container ", before.id, ": the ID cannot change"));
    }
    if (record.created != before.created) {
      return absl::InvalidArgumentError(
          absl::StrCat("container ", before.id, ": the creation time cannot change"));
    }
    if (record.name != before.name) {
      return absl::InvalidArgumentError(
          absl::StrCat("container ", before.id, ": a name changes only through Rename"));
    }
    BERTH_RETURN_IF_ERROR(ValidateRestartPolicy(record.restart_policy));
    record.updated = absl::FromUnixNanos(absl::ToUnixNanos(absl::Now()));
    return WriteLocked(ns, record, /*insert=*/false);
  }));
  return record;
}

absl::StatusOr<ContainerRecord> ContainerStore::UpdateState(absl::string_view ns,
                                                            absl::string_view id,
                                                            const ContainerState& state) {
  return Update(ns, id, [&state](ContainerRecord& record) {
    record.state = state;
    return absl::OkStatus();
  });
}

absl::Status ContainerStore::Rename(absl::string_view ns, absl::string_view id,
                                    absl::string_view new_name) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  new_name = StripSlash(new_name);
  BERTH_RETURN_IF_ERROR(ValidateContainerName(new_name));
  std::lock_guard lock(mu_);
  return db_.Transaction([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(ContainerRecord record, GetLocked(ns, id));
    if (record.name == new_name) {
      return absl::InvalidArgumentError(
          "Renaming a container with the same name as its current name");
    }
    BERTH_RETURN_IF_ERROR(CheckNameFreeLocked(ns, new_name));
    return Run(db_, "UPDATE containers SET name = ?, updated_ns = ? WHERE id = ?", new_name,
               Nanos(absl::Now()), id)
        .status();
  });
}

absl::Status ContainerStore::Delete(absl::string_view ns, absl::string_view id) {
  BERTH_RETURN_IF_ERROR(ValidateNamespace(ns));
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(int changed,
                         Run(db_, "DELETE FROM containers WHERE namespace = ? AND id = ?", ns, id));
  return changed == 0 ? NoSuchContainer(id) : absl::OkStatus();
}

}  // namespace berth::runtime
