// A small owner-and-Status wrapper over SQLite, plus versioned schema migrations.
//
// Each service keeps its own database file (WAL); a Database is one connection and is
// not meant to be shared by threads that run transactions concurrently.
#pragma once

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace berth::sqlite {

// A prepared statement. Bind indexes start at 1 (SQLite's rule), columns at 0.
class Statement {
 public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Any integer type binds as a 64-bit integer (a template, so Bind(1, 0) is not NULL).
  template <std::integral T>
  absl::Status Bind(int index, T value) {
    return BindInt64(index, static_cast<int64_t>(value));
  }
  absl::Status Bind(int index, absl::string_view text);          // TEXT, copied
  absl::Status Bind(int index, absl::Span<const uint8_t> blob);  // BLOB, copied
  absl::Status Bind(int index, std::nullptr_t);                  // NULL
  absl::Status BindInt64(int index, int64_t value);

  // Runs one step: true while a row is available, false once done.
  absl::StatusOr<bool> Step();

  int64_t Int64(int column) const;
  std::string Text(int column) const;
  std::vector<uint8_t> Blob(int column) const;
  bool IsNull(int column) const;
  int ColumnCount() const;

  // Makes the statement ready to run again and clears every binding.
  void Reset();

  sqlite3_stmt* get() const { return stmt_; }

 private:
  friend class Database;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  absl::Status Check(int rc, absl::string_view what) const;

  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens or creates `path` (created 0600), in WAL mode with foreign keys on, a 5 s busy
  // timeout and synchronous=NORMAL.
  static absl::StatusOr<Database> Open(const std::string& path);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  ~Database();

  // Runs one or more statements that return no rows.
  absl::Status Exec(absl::string_view sql);
  absl::StatusOr<Statement> Prepare(absl::string_view sql);

  // Runs `body` in BEGIN IMMEDIATE … COMMIT; rolls back when it (or COMMIT) fails and
  // returns that status. Inside another transaction it uses a savepoint instead.
  absl::Status Transaction(absl::FunctionRef<absl::Status()> body);

  int64_t LastInsertRowId() const;
  int Changes() const;  // rows changed by the last statement
  const std::string& path() const { return path_; }
  sqlite3* get() const { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Error(int rc, absl::string_view what) const;

  sqlite3* db_ = nullptr;
  std::string path_;
};

// One schema step; versions start at 1 and strictly increase.
struct Migration {
  int version;
  std::string sql;
};

// Brings the database to the newest migration through PRAGMA user_version: every
// migration newer than the database runs in order, each in its own transaction that
// also bumps user_version. A database newer than every migration is refused.
absl::Status Migrate(Database& db, const std::vector<Migration>& migrations);

// user_version of the database (0 for a new one).
absl::StatusOr<int> SchemaVersion(Database& db);

}  // namespace berth::sqlite
