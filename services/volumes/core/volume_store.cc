// VolumeStore over SQLite: options and labels of a volume and a container's mounts are
// JSON text; references are rows, so a volume in use cannot be deleted by accident.
#include "services/volumes/core/volume_store.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace berth::volumes {
namespace {

using nlohmann::json;
using sqlite::Statement;

const std::vector<sqlite::Migration>& Migrations() {
  static const auto* migrations = new std::vector<sqlite::Migration>{
      {1, R"sql(
CREATE TABLE volumes (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  driver TEXT NOT NULL,
  options TEXT NOT NULL,  -- JSON object
  labels TEXT NOT NULL,   -- JSON object
  anonymous INTEGER NOT NULL,
  created_ns INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
CREATE TABLE container_mounts (
  namespace TEXT NOT NULL,
  container_id TEXT NOT NULL,
  mounts TEXT NOT NULL,  -- JSON array of resolved mounts
  PRIMARY KEY (namespace, container_id)
) WITHOUT ROWID;
CREATE TABLE volume_users (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  container_id TEXT NOT NULL,
  PRIMARY KEY (namespace, name, container_id),
  FOREIGN KEY (namespace, name) REFERENCES volumes (namespace, name)
) WITHOUT ROWID;
)sql"},
  };
  return *migrations;
}

const char* KindName(MountKind kind) {
  switch (kind) {
    case MountKind::kBind:
      return "bind";
    case MountKind::kTmpfs:
      return "tmpfs";
    case MountKind::kVolume:
      break;
  }
  return "volume";
}

MountKind KindOf(const std::string& name) {
  if (name == "bind") return MountKind::kBind;
  if (name == "tmpfs") return MountKind::kTmpfs;
  return MountKind::kVolume;
}

json MountToJson(const ResolvedMount& m) {
  return json{{"kind", KindName(m.kind)}, {"destination", m.destination},
              {"type", m.type},           {"source", m.source},
              {"options", m.options},     {"propagation", m.propagation},
              {"read_only", m.read_only}, {"volume_name", m.volume_name},
              {"mode", m.mode},           {"from_container", m.from_container}};
}

ResolvedMount MountFromJson(const json& j) {
  ResolvedMount m;
  m.kind = KindOf(j.value("kind", "volume"));
  m.destination = j.value("destination", "");
  m.type = j.value("type", "");
  m.source = j.value("source", "");
  m.options = j.value("options", std::vector<std::string>{});
  m.propagation = j.value("propagation", "");
  m.read_only = j.value("read_only", false);
  m.volume_name = j.value("volume_name", "");
  m.mode = j.value("mode", "");
  m.from_container = j.value("from_container", "");
  return m;
}

absl::StatusOr<json> ParseJson(const std::string& text, absl::string_view what) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(absl::StrCat("volume database: unreadable ", what));
  }
  return parsed;
}

constexpr char kSelectVolume[] =
    "SELECT name, driver, options, labels, anonymous, created_ns FROM volumes";

absl::StatusOr<Volume> ReadVolume(const Statement& row) {
  Volume volume;
  volume.name = row.Text(0);
  volume.driver = row.Text(1);
  BERTH_ASSIGN_OR_RETURN(json options, ParseJson(row.Text(2), "volume options"));
  BERTH_ASSIGN_OR_RETURN(json labels, ParseJson(row.Text(3), "volume labels"));
  volume.options = options.get<std::map<std::string, std::string>>();
  volume.labels = labels.get<std::map<std::string, std::string>>();
  volume.anonymous = row.Int64(4) != 0;
  volume.created = absl::FromUnixNanos(row.Int64(5));
  return volume;
}

}  // namespace

absl::StatusOr<std::unique_ptr<VolumeStore>> VolumeStore::Open(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path));
  BERTH_RETURN_IF_ERROR(sqlite::Migrate(db, Migrations()));
  return std::unique_ptr<VolumeStore>(new VolumeStore(std::move(db)));
}

absl::Status VolumeStore::Create(absl::string_view ns, const Volume& volume) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement exists,
                         db_.Prepare("SELECT 1 FROM volumes WHERE namespace = ? AND name = ?"));
  BERTH_RETURN_IF_ERROR(exists.Bind(1, ns));
  BERTH_RETURN_IF_ERROR(exists.Bind(2, volume.name));
  BERTH_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (found) return absl::AlreadyExistsError(absl::StrCat("volume ", volume.name, " exists"));
  BERTH_ASSIGN_OR_RETURN(
      Statement insert,
      db_.Prepare("INSERT INTO volumes (namespace, name, driver, options, labels, anonymous, "
                  "created_ns) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  BERTH_RETURN_IF_ERROR(insert.Bind(1, ns));
  BERTH_RETURN_IF_ERROR(insert.Bind(2, volume.name));
  BERTH_RETURN_IF_ERROR(insert.Bind(3, volume.driver));
  BERTH_RETURN_IF_ERROR(insert.Bind(4, json(volume.options).dump()));
  BERTH_RETURN_IF_ERROR(insert.Bind(5, json(volume.labels).dump()));
  BERTH_RETURN_IF_ERROR(insert.Bind(6, volume.anonymous ? 1 : 0));
  BERTH_RETURN_IF_ERROR(insert.Bind(7, absl::ToUnixNanos(volume.created)));
  return insert.Step().status();
}

absl::StatusOr<Volume> VolumeStore::Get(absl::string_view ns, absl::string_view name) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement select,
      db_.Prepare(absl::StrCat(kSelectVolume, " WHERE namespace = ? AND name = ?")));
  BERTH_RETURN_IF_ERROR(select.Bind(1, ns));
  BERTH_RETURN_IF_ERROR(select.Bind(2, name));
  BERTH_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) return absl::NotFoundError(absl::StrCat("get ", name, ": no such volume"));
  return ReadVolume(select);
}

absl::StatusOr<std::vector<Volume>> VolumeStore::List(absl::string_view ns) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement select,
      db_.Prepare(absl::StrCat(kSelectVolume, " WHERE namespace = ? ORDER BY name")));
  BERTH_RETURN_IF_ERROR(select.Bind(1, ns));
  std::vector<Volume> volumes;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    BERTH_ASSIGN_OR_RETURN(Volume volume, ReadVolume(select));
    volumes.push_back(std::move(volume));
  }
  return volumes;
}

absl::Status VolumeStore::Delete(absl::string_view ns, absl::string_view name) {
  std::lock_guard lock(mu_);
  return db_.Transaction([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(
        Statement in_use,
        db_.Prepare("SELECT container_id FROM volume_users WHERE namespace = ? AND name = ? "
                    "ORDER BY container_id"));
    BERTH_RETURN_IF_ERROR(in_use.Bind(1, ns));
    BERTH_RETURN_IF_ERROR(in_use.Bind(2, name));
    std::vector<std::string> users;
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, in_use.Step());
      if (!row) break;
      users.push_back(in_use.Text(0));
    }
    if (!users.empty()) {
      // Docker's words.
      return absl::FailedPreconditionError(
          absl::StrCat("remove ", name, ": volume is in use - [", absl::StrJoin(users, ", "), "]"));
    }
    BERTH_ASSIGN_OR_RETURN(Statement remove,
                           db_.Prepare("DELETE FROM volumes WHERE namespace = ? AND name = ?"));
    BERTH_RETURN_IF_ERROR(remove.Bind(1, ns));
    BERTH_RETURN_IF_ERROR(remove.Bind(2, name));
    BERTH_RETURN_IF_ERROR(remove.Step().status());
    if (db_.Changes() == 0) {
      return absl::NotFoundError(absl::StrCat("get ", name, ": no such volume"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> VolumeStore::Users(absl::string_view ns,
                                                            absl::string_view name) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement select,
      db_.Prepare("SELECT container_id FROM volume_users WHERE namespace = ? AND name = ? "
                  "ORDER BY container_id"));
  BERTH_RETURN_IF_ERROR(select.Bind(1, ns));
  BERTH_RETURN_IF_ERROR(select.Bind(2, name));
  std::vector<std::string> users;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    users.push_back(select.Text(0));
  }
  return users;
}

absl::StatusOr<std::map<std::string, int>> VolumeStore::ReferenceCounts(absl::string_view ns) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement select,
      db_.Prepare("SELECT name, COUNT(*) FROM volume_users WHERE namespace = ? GROUP BY name"));
  BERTH_RETURN_IF_ERROR(select.Bind(1, ns));
  std::map<std::string, int> counts;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    counts[select.Text(0)] = static_cast<int>(select.Int64(1));
  }
  return counts;
}

absl::Status VolumeStore::SaveContainer(absl::string_view ns, absl::string_view container_id,
                                        const std::vector<ResolvedMount>& mounts) {
  std::lock_guard lock(mu_);
  return db_.Transaction([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(ForgetLocked(ns, container_id).status());
    json list = json::array();
    std::set<std::string> volume_names;
    for (const ResolvedMount& mount : mounts) {
      list.push_back(MountToJson(mount));
      if (mount.kind == MountKind::kVolume) volume_names.insert(mount.volume_name);
    }
    BERTH_ASSIGN_OR_RETURN(
        Statement insert,
        db_.Prepare(
            "INSERT INTO container_mounts (namespace, container_id, mounts) VALUES (?, ?, ?)"));
    BERTH_RETURN_IF_ERROR(insert.Bind(1, ns));
    BERTH_RETURN_IF_ERROR(insert.Bind(2, container_id));
    BERTH_RETURN_IF_ERROR(insert.Bind(3, list.dump()));
    BERTH_RETURN_IF_ERROR(insert.Step().status());
    BERTH_ASSIGN_OR_RETURN(
        Statement use,
        db_.Prepare("INSERT INTO volume_users (namespace, name, container_id) VALUES (?, ?, ?)"));
    for (const std::string& name : volume_names) {
      use.Reset();
      BERTH_RETURN_IF_ERROR(use.Bind(1, ns));
      BERTH_RETURN_IF_ERROR(use.Bind(2, name));
      BERTH_RETURN_IF_ERROR(use.Bind(3, container_id));
      BERTH_RETURN_IF_ERROR(use.Step().status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ResolvedMount>> VolumeStore::ContainerMounts(
    absl::string_view ns, absl::string_view container_id) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement select,
      db_.Prepare("SELECT mounts FROM container_mounts WHERE namespace = ? AND container_id = ?"));
  BERTH_RETURN_IF_ERROR(select.Bind(1, ns));
  BERTH_RETURN_IF_ERROR(select.Bind(2, container_id));
  BERTH_ASSIGN_OR_RETURN(bool found, select.Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no mounts recorded for container ", container_id));
  }
  BERTH_ASSIGN_OR_RETURN(json list, ParseJson(select.Text(0), "container mounts"));
  std::vector<ResolvedMount> mounts;
  for (const json& entry : list) mounts.push_back(MountFromJson(entry));
  return mounts;
}

absl::StatusOr<std::vector<std::string>> VolumeStore::ForgetContainer(
    absl::string_view ns, absl::string_view container_id) {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  BERTH_RETURN_IF_ERROR(db_.Transaction([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(names, ForgetLocked(ns, container_id));
    return absl::OkStatus();
  }));
  return names;
}

absl::StatusOr<std::vector<std::string>> VolumeStore::ForgetLocked(absl::string_view ns,
                                                                   absl::string_view container_id) {
  BERTH_ASSIGN_OR_RETURN(
      Statement select,
      db_.Prepare("SELECT name FROM volume_users WHERE namespace = ? AND container_id = ? "
                  "ORDER BY name"));
  BERTH_RETURN_IF_ERROR(select.Bind(1, ns));
  BERTH_RETURN_IF_ERROR(select.Bind(2, container_id));
  std::vector<std::string> names;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    names.push_back(select.Text(0));
  }
  for (const char* sql :
       {"DELETE FROM volume_users WHERE namespace = ? AND container_id = ?",
        "DELETE FROM container_mounts WHERE namespace = ? AND container_id = ?"}) {
    BERTH_ASSIGN_OR_RETURN(Statement remove, db_.Prepare(sql));
    BERTH_RETURN_IF_ERROR(remove.Bind(1, ns));
    BERTH_RETURN_IF_ERROR(remove.Bind(2, container_id));
    BERTH_RETURN_IF_ERROR(remove.Step().status());
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> VolumeStore::Namespaces() {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement select,
                         db_.Prepare("SELECT DISTINCT namespace FROM volumes ORDER BY 1"));
  std::vector<std::string> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out.push_back(select.Text(0));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> VolumeStore::Containers() {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement select,
      db_.Prepare("SELECT namespace, container_id FROM container_mounts ORDER BY 1, 2"));
  std::map<std::string, std::vector<std::string>> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out[select.Text(0)].push_back(select.Text(1));
  }
  return out;
}

}  // namespace berth::volumes
