#include "common/sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace berth::sqlite {
namespace {

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
                 ? absl::StatusCode::kAlreadyExists
                 : absl::StatusCode::kFailedPrecondition;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return absl::StatusCode::kInvalidArgument;
    default:
      return absl::StatusCode::kInternal;
  }
}

// "sqlite: /var/lib/berth/images/meta.db: preparing "SELEC 1": near "SELEC": syntax error"
std::string Describe(absl::string_view file, absl::string_view what, const char* msg, int rc) {
  absl::string_view generic = sqlite3_errstr(rc);
  std::string text = absl::StrCat("sqlite: ", file, ": ", what, ": ", msg ? msg : generic);
  if (msg != nullptr && generic != msg) absl::StrAppend(&text, " (", generic, ")");
  return text;
}

absl::Status MakeError(sqlite3* db, int rc, absl::string_view what) {
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  return absl::Status(CodeFor(rc),
                      Describe(file ? file : "", what, db ? sqlite3_errmsg(db) : nullptr, rc));
}

std::string Quote(absl::string_view sql) {
  constexpr size_t kMax = 80;
  sql = absl::StripAsciiWhitespace(sql);
  if (sql.size() <= kMax) return absl::StrCat("\"", sql, "\"");
  return absl::StrCat("\"", sql.substr(0, kMax), "…\"");
}

}  // namespace

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

absl::Status Statement::Check(int rc, absl::string_view what) const {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return MakeError(sqlite3_db_handle(stmt_), rc,
                   absl::StrCat(what, " in ", Quote(sqlite3_sql(stmt_))));
}

absl::Status Statement::BindInt64(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), absl::StrCat("binding #", index));
}

absl::Status Statement::Bind(int index, absl::string_view text) {
  // A null data pointer would bind NULL; an empty view must stay an empty string.
  const char* data = text.data() ? text.data() : "";
  return Check(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               absl::StrCat("binding #", index));
}

absl::Status Statement::Bind(int index, absl::Span<const uint8_t> blob) {
  int rc = blob.empty()
               ? sqlite3_bind_zeroblob(stmt_, index, 0)
               : sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT);
  return Check(rc, absl::StrCat("binding #", index));
}

absl::Status Statement::Bind(int index, std::nullptr_t) {
  return Check(sqlite3_bind_null(stmt_, index), absl::StrCat("binding #", index));
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Check(rc, "running");
}

int64_t Statement::Int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::vector<uint8_t> Statement::Blob(int column) const {
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  if (data == nullptr) return {};
  return std::vector<uint8_t>(data, data + sqlite3_column_bytes(stmt_, column));
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

// ---- Database ----

namespace {

// Each database a daemon opens stays open for its life, so what SQLite sets aside per
// connection is kept for good: no bulk page-cache preallocation (20 pages, ~90 KiB) and no
// lookaside slots; with `PRAGMA cache_size=-256` below a connection caches at most
// 256 KiB of pages (default 2 MiB) — the kernel caches the files anyway. sqlite3_config
// only works before SQLite initializes, i.e. before the process's first open.
void LeanSqliteOnce() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
    sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

absl::StatusOr<Database> Database::Open(const std::string& path) {
  LeanSqliteOnce();
  // Created here so the mode is 0600 whatever the umask; SQLite gives -wal/-shm the same.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("creating database ", path));
  ::close(fd);

  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &raw,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = MakeError(raw, rc, absl::StrCat("opening ", path));
    sqlite3_close_v2(raw);
    return status;
  }
  Database db(raw, path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);

  BERTH_ASSIGN_OR_RETURN(Statement wal, db.Prepare("PRAGMA journal_mode=WAL"));
  BERTH_ASSIGN_OR_RETURN(bool row, wal.Step());
  if (!row || absl::AsciiStrToLower(wal.Text(0)) != "wal") {
    return absl::FailedPreconditionError(absl::StrCat("sqlite: ", path,
                                                      ": cannot switch to WAL journal mode (got \"",
                                                      row ? wal.Text(0) : "", "\")"));
  }
  BERTH_RETURN_IF_ERROR(
      db.Exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-256;"));
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Database::~Database() { sqlite3_close_v2(db_); }

absl::Status Database::Error(int rc, absl::string_view what) const {
  return MakeError(db_, rc, what);
}

absl::Status Database::Exec(absl::string_view sql) {
  std::string text(sql);
  char* errmsg = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &errmsg);
  if (rc == SQLITE_OK) return absl::OkStatus();
  absl::Status status(CodeFor(rc), Describe(path_, absl::StrCat("executing ", Quote(sql)),
                                            errmsg ? errmsg : sqlite3_errmsg(db_), rc));
  sqlite3_free(errmsg);
  return status;
}

absl::StatusOr<Statement> Database::Prepare(absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  if (rc != SQLITE_OK) return Error(rc, absl::StrCat("preparing ", Quote(sql)));
  Statement statement(stmt);
  if (stmt == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("sqlite: ", path_, ": preparing ", Quote(sql), ": no statement"));
  }
  absl::string_view rest(tail, static_cast<size_t>(sql.data() + sql.size() - tail));
  if (!absl::StripAsciiWhitespace(rest).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sqlite: ", path_, ": preparing ", Quote(sql), ": more than one statement"));
  }
  return statement;
}

absl::Status Database::Transaction(absl::FunctionRef<absl::Status()> body) {
  const bool nested = sqlite3_get_autocommit(db_) == 0;
  BERTH_RETURN_IF_ERROR(Exec(nested ? "SAVEPOINT berth_nested" : "BEGIN IMMEDIATE"));
  absl::Status status = body();
  if (status.ok()) {
    status = Exec(nested ? "RELEASE berth_nested" : "COMMIT");
    if (status.ok()) return status;
  }
  if (nested) {
    Exec("ROLLBACK TO berth_nested; RELEASE berth_nested").IgnoreError();
  } else if (sqlite3_get_autocommit(db_) == 0) {  // some errors already rolled back
    Exec("ROLLBACK").IgnoreError();
  }
  return status;
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int Database::Changes() const { return sqlite3_changes(db_); }

// ---- Migrations ----

absl::StatusOr<int> SchemaVersion(Database& db) {
  BERTH_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("PRAGMA user_version"));
  BERTH_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<int>(stmt.Int64(0)) : 0;
}

absl::Status Migrate(Database& db, const std::vector<Migration>& migrations) {
  int newest = 0;
  for (const Migration& m : migrations) {
    if (m.version <= newest) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migrations for ", db.path(),
          " must have strictly increasing versions from 1: ", m.version, " follows ", newest));
    }
    newest = m.version;
  }
  BERTH_ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  if (current > newest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", db.path(), " has schema version ", current,
        " but this berth knows versions up to ", newest, "; it was written by a newer berth"));
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    absl::Status status = db.Transaction([&]() -> absl::Status {
      // Re-read under the write lock: another process may have migrated meanwhile.
      BERTH_ASSIGN_OR_RETURN(int now, SchemaVersion(db));
      if (now >= m.version) return absl::OkStatus();
      BERTH_RETURN_IF_ERROR(db.Exec(m.sql));
      return db.Exec(absl::StrCat("PRAGMA user_version = ", m.version));
    });
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("migrating ", db.path(), " to schema version ", m.version,
                                       ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::sqlite
