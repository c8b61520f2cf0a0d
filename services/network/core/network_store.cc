// NetworkStore over SQLite: one row per record; maps and lists as JSON text columns.
#include "services/network/core/network_store.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace berth::network {
namespace {

using sqlite::Statement;

const std::vector<sqlite::Migration>& Migrations() {
  static const auto* migrations = new std::vector<sqlite::Migration>{
      {1, R"sql(
CREATE TABLE networks (
  id TEXT NOT NULL PRIMARY KEY,  -- 64 hex
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  driver TEXT NOT NULL,          -- bridge, host, null
  builtin INTEGER NOT NULL,
  subnet TEXT NOT NULL,
  gateway TEXT NOT NULL,
  ip_range TEXT NOT NULL,
  internal INTEGER NOT NULL,
  attachable INTEGER NOT NULL,
  bridge TEXT NOT NULL,
  mtu INTEGER NOT NULL,
  labels TEXT NOT NULL,          -- JSON object
  options TEXT NOT NULL,         -- JSON object
  created_ns INTEGER NOT NULL,
  UNIQUE (namespace, name)
);
CREATE TABLE endpoints (
  id TEXT NOT NULL PRIMARY KEY,
  namespace TEXT NOT NULL,
  container_id TEXT NOT NULL,
  network_id TEXT NOT NULL REFERENCES networks (id),
  network_name TEXT NOT NULL,
  netns_path TEXT NOT NULL,
  interface TEXT NOT NULL,
  ipv4 TEXT NOT NULL,
  gateway TEXT NOT NULL,
  mac TEXT NOT NULL,
  aliases TEXT NOT NULL,         -- JSON array
  ports TEXT NOT NULL,           -- JSON array of bindings
  cni_config TEXT NOT NULL,
  cni_runtime_config TEXT NOT NULL,
  cni_result TEXT NOT NULL,
  created_ns INTEGER NOT NULL,
  UNIQUE (container_id, network_id)
);
CREATE TABLE sandboxes (
  container_id TEXT NOT NULL PRIMARY KEY,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  netns_path TEXT NOT NULL,
  owns_netns INTEGER NOT NULL,
  hostname TEXT NOT NULL,
  domainname TEXT NOT NULL,
  extra_hosts TEXT NOT NULL,     -- JSON array
  hosts_path TEXT NOT NULL,
  resolv_conf_path TEXT NOT NULL,
  hostname_path TEXT NOT NULL
);
)sql"},
  };
  return *migrations;
}

absl::Status BindOne(Statement& stmt, int index, absl::string_view text) {
  return stmt.Bind(index, text);
}
absl::Status BindOne(Statement& stmt, int index, const std::string& text) {
  return stmt.Bind(index, absl::string_view(text));
}
absl::Status BindOne(Statement& stmt, int index, int64_t value) { return stmt.Bind(index, value); }
absl::Status BindOne(Statement& stmt, int index, int value) { return stmt.Bind(index, value); }
absl::Status BindOne(Statement& stmt, int index, bool value) {
  return stmt.Bind(index, value ? 1 : 0);
}

template <typename... Args>
absl::StatusOr<Statement> Query(sqlite::Database& db, absl::string_view sql, const Args&... args) {
  BERTH_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql));
  int index = 0;
  absl::Status status;
  (status.Update(BindOne(stmt, ++index, args)), ...);
  BERTH_RETURN_IF_ERROR(status);
  return stmt;
}

template <typename... Args>
absl::Status Run(sqlite::Database& db, absl::string_view sql, const Args&... args) {
  BERTH_ASSIGN_OR_RETURN(Statement stmt, Query(db, sql, args...));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  while (row) {
    BERTH_ASSIGN_OR_RETURN(row, stmt.Step());
  }
  return absl::OkStatus();
}

std::string MapJson(const std::map<std::string, std::string>& map) {
  return nlohmann::json(map).dump();
}
std::map<std::string, std::string> JsonMap(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_object()) return {};
  return parsed.get<std::map<std::string, std::string>>();
}
std::string ListJson(const std::vector<std::string>& list) { return nlohmann::json(list).dump(); }
std::vector<std::string> JsonList(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) return {};
  return parsed.get<std::vector<std::string>>();
}

std::string PortsJson(const std::vector<PortBinding>& ports) {
  nlohmann::json array = nlohmann::json::array();
  for (const PortBinding& p : ports) {
    array.push_back({{"host_ip", p.host_ip},
                     {"host_port", p.host_port},
                     {"container_port", p.container_port},
                     {"protocol", p.protocol}});
  }
  return array.dump();
}
std::vector<PortBinding> JsonPorts(const std::string& text) {
  std::vector<PortBinding> ports;
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) return ports;
  for (const auto& p : parsed) {
    ports.push_back({p.value("host_ip", ""), p.value("host_port", uint16_t{0}),
                     p.value("container_port", uint16_t{0}), p.value("protocol", "tcp")});
  }
  return ports;
}

constexpr char kNetworkColumns[] =
    "id, namespace, name, driver, builtin, subnet, gateway, ip_range, internal, attachable, "
    "bridge, mtu, labels, options, created_ns";

NetworkRecord ReadNetwork(const Statement& row) {
  NetworkRecord n;
  n.id = row.Text(0);
  n.ns = row.Text(1);
  n.name = row.Text(2);
  n.driver = row.Text(3);
  n.builtin = row.Int64(4) != 0;
  n.subnet = row.Text(5);
  n.gateway = row.Text(6);
  n.ip_range = row.Text(7);
  n.internal = row.Int64(8) != 0;
  n.attachable = row.Int64(9) != 0;
  n.bridge = row.Text(10);
  n.mtu = static_cast<int>(row.Int64(11));
  n.labels = JsonMap(row.Text(12));
  n.options = JsonMap(row.Text(13));
  n.created = absl::FromUnixNanos(row.Int64(14));
  return n;
}

constexpr char kEndpointColumns[] =
    "id, namespace, container_id, network_id, network_name, netns_path, interface, ipv4, "
    "gateway, mac, aliases, ports, cni_config, cni_runtime_config, cni_result, created_ns";

EndpointRecord ReadEndpoint(const Statement& row) {
  EndpointRecord e;
  e.id = row.Text(0);
  e.ns = row.Text(1);
  e.container_id = row.Text(2);
  e.network_id = row.Text(3);
  e.network_name = row.Text(4);
  e.netns_path = row.Text(5);
  e.interface = row.Text(6);
  e.ipv4 = row.Text(7);
  e.gateway = row.Text(8);
  e.mac = row.Text(9);
  e.aliases = JsonList(row.Text(10));
  e.ports = JsonPorts(row.Text(11));
  e.cni_config = row.Text(12);
  e.cni_runtime_config = row.Text(13);
  e.cni_result = row.Text(14);
  e.created = absl::FromUnixNanos(row.Int64(15));
  return e;
}

constexpr char kSandboxColumns[] =
    "container_id, namespace, name, netns_path, owns_netns, hostname, domainname, extra_hosts, "
    "hosts_path, resolv_conf_path, hostname_path";

SandboxRecord ReadSandbox(const Statement& row) {
  SandboxRecord s;
  s.container_id = row.Text(0);
  s.ns = row.Text(1);
  s.name = row.Text(2);
  s.netns_path = row.Text(3);
  s.owns_netns = row.Int64(4) != 0;
  s.hostname = row.Text(5);
  s.domainname = row.Text(6);
  s.extra_hosts = JsonList(row.Text(7));
  s.hosts_path = row.Text(8);
  s.resolv_conf_path = row.Text(9);
  s.hostname_path = row.Text(10);
  return s;
}

template <typename Record, typename Reader>
absl::StatusOr<std::vector<Record>> Collect(Statement stmt, Reader read) {
  std::vector<Record> records;
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  while (row) {
    records.push_back(read(stmt));
    BERTH_ASSIGN_OR_RETURN(row, stmt.Step());
  }
  return records;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NetworkStore>> NetworkStore::Open(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(sqlite::Database db, sqlite::Database::Open(path));
  BERTH_RETURN_IF_ERROR(sqlite::Migrate(db, Migrations()));
  return std::unique_ptr<NetworkStore>(new NetworkStore(std::move(db)));
}

absl::Status NetworkStore::InsertNetwork(const NetworkRecord& n) {
  std::lock_guard lock(mu_);
  return db_.Transaction([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(
        Statement taken,
        Query(db_, "SELECT 1 FROM networks WHERE namespace = ? AND name = ?", n.ns, n.name));
    BERTH_ASSIGN_OR_RETURN(bool exists, taken.Step());
    if (exists) {
      return absl::AlreadyExistsError(
          absl::StrCat("network with name ", n.name, " already exists"));
    }
    return Run(db_,
               absl::StrCat("INSERT INTO networks (", kNetworkColumns,
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
               n.id, n.ns, n.name, n.driver, n.builtin, n.subnet, n.gateway, n.ip_range, n.internal,
               n.attachable, n.bridge, n.mtu, MapJson(n.labels), MapJson(n.options),
               int64_t{absl::ToUnixNanos(n.created)});
  });
}

absl::StatusOr<std::vector<NetworkRecord>> NetworkStore::ListNetworks(
    std::optional<std::string> ns) {
  std::lock_guard lock(mu_);
  std::string sql = absl::StrCat("SELECT ", kNetworkColumns, " FROM networks");
  if (ns) {
    BERTH_ASSIGN_OR_RETURN(Statement stmt,
                           Query(db_, sql + " WHERE namespace = ? ORDER BY name", *ns));
    return Collect<NetworkRecord>(std::move(stmt), ReadNetwork);
  }
  BERTH_ASSIGN_OR_RETURN(Statement stmt, Query(db_, sql + " ORDER BY namespace, name"));
  return Collect<NetworkRecord>(std::move(stmt), ReadNetwork);
}

absl::Status NetworkStore::DeleteNetwork(absl::string_view id) {
  std::lock_guard lock(mu_);
  return Run(db_, "DELETE FROM networks WHERE id = ?", id);
}

absl::Status NetworkStore::InsertEndpoint(const EndpointRecord& e) {
  std::lock_guard lock(mu_);
  return Run(db_,
             absl::StrCat("INSERT INTO endpoints (", kEndpointColumns,
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
             e.id, e.ns, e.container_id, e.network_id, e.network_name, e.netns_path, e.interface,
             e.ipv4, e.gateway, e.mac, ListJson(e.aliases), PortsJson(e.ports), e.cni_config,
             e.cni_runtime_config, e.cni_result, int64_t{absl::ToUnixNanos(e.created)});
}

absl::StatusOr<std::vector<EndpointRecord>> NetworkStore::ListEndpoints(
    absl::string_view container_id, absl::string_view network_id) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement stmt, Query(db_,
                            absl::StrCat("SELECT ", kEndpointColumns,
                                         " FROM endpoints WHERE (?1 = '' OR container_id = ?1) AND "
                                         "(?2 = '' OR network_id = ?2) ORDER BY created_ns, id"),
                            container_id, network_id));
  return Collect<EndpointRecord>(std::move(stmt), ReadEndpoint);
}

absl::Status NetworkStore::DeleteEndpoint(absl::string_view id) {
  std::lock_guard lock(mu_);
  return Run(db_, "DELETE FROM endpoints WHERE id = ?", id);
}

absl::Status NetworkStore::PutSandbox(const SandboxRecord& s) {
  std::lock_guard lock(mu_);
  return Run(db_,
             absl::StrCat("INSERT OR REPLACE INTO sandboxes (", kSandboxColumns,
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
             s.container_id, s.ns, s.name, s.netns_path, s.owns_netns, s.hostname, s.domainname,
             ListJson(s.extra_hosts), s.hosts_path, s.resolv_conf_path, s.hostname_path);
}

absl::StatusOr<std::optional<SandboxRecord>> NetworkStore::GetSandbox(
    absl::string_view container_id) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement stmt,
      Query(db_, absl::StrCat("SELECT ", kSandboxColumns, " FROM sandboxes WHERE container_id = ?"),
            container_id));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::nullopt;
  return ReadSandbox(stmt);
}

absl::StatusOr<std::vector<SandboxRecord>> NetworkStore::ListSandboxes() {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement stmt,
                         Query(db_, absl::StrCat("SELECT ", kSandboxColumns, " FROM sandboxes")));
  return Collect<SandboxRecord>(std::move(stmt), ReadSandbox);
}

absl::Status NetworkStore::DeleteSandbox(absl::string_view container_id) {
  std::lock_guard lock(mu_);
  return Run(db_, "DELETE FROM sandboxes WHERE container_id = ?", container_id);
}

}  // namespace berth::network
