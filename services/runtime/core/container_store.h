// The runtime service's container records, per namespace, in its own SQLite database
// (<runtime-root>/metadata.db, WAL).
//
// IDs are unique across namespaces (a container's directories are named by ID alone);
// names are unique within a namespace. Lookups follow Docker: a full ID, then a name
// (with or without its leading "/"), then an unambiguous ID prefix. Error messages are
// Docker's where Docker has one, so the CLI can print them as they come.
// Thread-safe: calls are serialized on one connection.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sqlite.h"
#include "services/runtime/core/container_record.h"

namespace berth::runtime {

class ContainerStore {
 public:
  // Opens or creates the database and brings its schema up to date.
  static absl::StatusOr<std::unique_ptr<ContainerStore>> Open(const std::string& path);

  // Stores a new container and returns it with `created` and `updated` set. An empty id
  // gets a new one; an empty name gets a generated "adjective_surname"; one leading "/"
  // of a name is dropped. AlreadyExists, in Docker's words, when the name is taken in
  // the namespace; AlreadyExists when the ID is taken in any namespace.
  absl::StatusOr<ContainerRecord> Create(absl::string_view ns, ContainerRecord record);

  // By full ID. NotFound "No such container: <id>".
  absl::StatusOr<ContainerRecord> Get(absl::string_view ns, absl::string_view id);

  // By full ID, then name ("x" or "/x"), then unique ID prefix. NotFound
  // "No such container: <ref>"; InvalidArgument when a prefix matches several.
  absl::StatusOr<ContainerRecord> Resolve(absl::string_view ns, absl::string_view ref);

  // The namespace's containers, newest first.
  absl::StatusOr<std::vector<ContainerRecord>> List(absl::string_view ns);

  // Namespaces holding at least one container, sorted.
  absl::StatusOr<std::vector<std::string>> ListNamespaces();

  // Reads the record, lets `mutate` change it and writes it back, in one transaction;
  // nothing changes when `mutate` fails. Sets `updated`. InvalidArgument when `mutate`
  // changes the id, the name (use Rename) or `created`. `mutate` runs under the store's
  // lock and must not call the store.
  absl::StatusOr<ContainerRecord> Update(
      absl::string_view ns, absl::string_view id,
      const std::function<absl::Status(ContainerRecord&)>& mutate);
  // Update that replaces the state.
  absl::StatusOr<ContainerRecord> UpdateState(absl::string_view ns, absl::string_view id,
                                              const ContainerState& state);

  // Gives the container (by full ID) a new name; one leading "/" is dropped. The same
  // AlreadyExists as Create when the name is taken; InvalidArgument when it is the
  // container's name already.
  absl::Status Rename(absl::string_view ns, absl::string_view id, absl::string_view new_name);

  // By full ID. NotFound "No such container: <id>".
  absl::Status Delete(absl::string_view ns, absl::string_view id);

 private:
  explicit ContainerStore(sqlite::Database db) : db_(std::move(db)) {}
  absl::StatusOr<ContainerRecord> GetLocked(absl::string_view ns, absl::string_view id);
  absl::StatusOr<std::string> IdByNameLocked(absl::string_view ns, absl::string_view name);
  absl::Status CheckNameFreeLocked(absl::string_view ns, absl::string_view name);
  // Writes the row and its labels: a new row when `insert`, else over the existing one.
  absl::Status WriteLocked(absl::string_view ns, const ContainerRecord& record, bool insert);
  absl::StatusOr<ContainerRecord> ReadLabelsLocked(ContainerRecord record);

  std::mutex mu_;  // one transaction at a time on the connection
  sqlite::Database db_;
};

}  // namespace berth::runtime
