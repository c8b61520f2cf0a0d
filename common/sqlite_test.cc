#include "common/sqlite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"

namespace berth::sqlite {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-sqlite-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/meta.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Database OpenOrDie() {
    absl::StatusOr<Database> db = Database::Open(path_);
    EXPECT_THAT(db, IsOk());
    return *std::move(db);
  }
  static std::string QueryText(Database& db, absl::string_view sql) {
    absl::StatusOr<Statement> stmt = db.Prepare(sql);
    EXPECT_THAT(stmt, IsOk());
    if (!stmt.ok()) return "";
    absl::StatusOr<bool> row = stmt->Step();
    EXPECT_THAT(row, IsOk());
    return row.ok() && *row ? stmt->Text(0) : "<no row>";
  }
  static int64_t Count(Database& db, absl::string_view table) {
    return std::stoll(QueryText(db, absl::StrCat("SELECT count(*) FROM ", table)));
  }

  std::string dir_, path_;
};

TEST_F(SqliteTest, OpenCreatesPrivateFileInWalMode) {
  Database db = OpenOrDie();
  struct stat st = {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(QueryText(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(QueryText(db, "PRAGMA busy_timeout"), "5000");
  EXPECT_EQ(QueryText(db, "PRAGMA synchronous"), "1");  // NORMAL
  BERTH_ASSERT_OK(db.Exec("CREATE TABLE t (x INT)"));
  ASSERT_EQ(stat((path_ + "-wal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(SqliteTest, OpenInMissingDirectoryNamesPath) {
  EXPECT_THAT(Database::Open(dir_ + "/no/such/db"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir_ + "/no/such/db")));
}

TEST_F(SqliteTest, InsertAndSelectWithBinds) {
  Database db = OpenOrDie();
  BERTH_ASSERT_OK(db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, n INT)"));
  absl::StatusOr<Statement> insert = db.Prepare("INSERT INTO t (name, data, n) VALUES (?, ?, ?)");
  BERTH_ASSERT_OK(insert);
  const std::vector<uint8_t> bytes = {0x00, 0xff, 0x10, 0x00};
  BERTH_ASSERT_OK(insert->Bind(1, "alpine"));
  BERTH_ASSERT_OK(insert->Bind(2, absl::MakeConstSpan(bytes)));
  BERTH_ASSERT_OK(insert->Bind(3, int64_t{1} << 40));
  EXPECT_THAT(insert->Step(), IsOkAndHolds(false));
  EXPECT_EQ(db.LastInsertRowId(), 1);
  insert->Reset();
  BERTH_ASSERT_OK(insert->Bind(1, std::string()));  // empty text, not NULL
  BERTH_ASSERT_OK(insert->Bind(2, nullptr));
  BERTH_ASSERT_OK(insert->Bind(3, 0));  // an integer 0, not NULL
  BERTH_ASSERT_OK(insert->Step());
  insert->Reset();
  BERTH_ASSERT_OK(insert->Bind(2, absl::Span<const uint8_t>()));  // empty blob
  BERTH_ASSERT_OK(insert->Step());                                // name and n stay unbound: NULL

  absl::StatusOr<Statement> select = db.Prepare("SELECT name, data, n FROM t ORDER BY id");
  BERTH_ASSERT_OK(select);
  EXPECT_EQ(select->ColumnCount(), 3);
  ASSERT_THAT(select->Step(), IsOkAndHolds(true));
  EXPECT_EQ(select->Text(0), "alpine");
  EXPECT_EQ(select->Blob(1), bytes);
  EXPECT_EQ(select->Int64(2), int64_t{1} << 40);
  ASSERT_THAT(select->Step(), IsOkAndHolds(true));
  EXPECT_FALSE(select->IsNull(0));
  EXPECT_EQ(select->Text(0), "");
  EXPECT_TRUE(select->IsNull(1));
  EXPECT_FALSE(select->IsNull(2));
  EXPECT_EQ(select->Int64(2), 0);
  ASSERT_THAT(select->Step(), IsOkAndHolds(true));
  EXPECT_TRUE(select->IsNull(0));
  EXPECT_FALSE(select->IsNull(1));
  EXPECT_THAT(select->Blob(1), ElementsAre());
  EXPECT_TRUE(select->IsNull(2));
  EXPECT_THAT(select->Step(), IsOkAndHolds(false));
}

TEST_F(SqliteTest, ErrorsCarrySqliteMessage) {
  Database db = OpenOrDie();
  EXPECT_THAT(db.Prepare("SELEC 1"),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr(path_), HasSubstr("SELEC 1"), HasSubstr("syntax error"))));
  EXPECT_THAT(db.Exec("INSERT INTO missing VALUES (1)"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no such table: missing")));
  EXPECT_THAT(db.Prepare("SELECT 1; SELECT 2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than one")));
  BERTH_ASSERT_OK(db.Exec("CREATE TABLE u (k TEXT PRIMARY KEY)"));
  BERTH_ASSERT_OK(db.Exec("INSERT INTO u VALUES ('a')"));
  absl::StatusOr<Statement> dup = db.Prepare("INSERT INTO u VALUES (?)");
  BERTH_ASSERT_OK(dup);
  BERTH_ASSERT_OK(dup->Bind(1, "a"));
  EXPECT_THAT(dup->Step(), StatusIs(absl::StatusCode::kAlreadyExists,
                                    HasSubstr("UNIQUE constraint failed: u.k")));
  dup->Reset();
  EXPECT_THAT(dup->Bind(7, 1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("#7")));
}

TEST_F(SqliteTest, TransactionRollsBackOnError) {
  Database db = OpenOrDie();
  BERTH_ASSERT_OK(db.Exec("CREATE TABLE t (x INT)"));
  absl::Status status = db.Transaction([&]() -> absl::Status {
    if (absl::Status s = db.Exec("INSERT INTO t VALUES (1)"); !s.ok()) return s;
    return absl::AbortedError("changed my mind");
  });
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kAborted, "changed my mind"));
  EXPECT_EQ(Count(db, "t"), 0);

  BERTH_EXPECT_OK(db.Transaction([&] { return db.Exec("INSERT INTO t VALUES (2)"); }));
  EXPECT_EQ(Count(db, "t"), 1);
}

TEST_F(SqliteTest, NestedTransactionRollsBackOnlyItself) {
  Database db = OpenOrDie();
  BERTH_ASSERT_OK(db.Exec("CREATE TABLE t (x INT)"));
  BERTH_EXPECT_OK(db.Transaction([&]() -> absl::Status {
    if (absl::Status s = db.Exec("INSERT INTO t VALUES (1)"); !s.ok()) return s;
    absl::Status inner = db.Transaction([&]() -> absl::Status {
      if (absl::Status s = db.Exec("INSERT INTO t VALUES (2)"); !s.ok()) return s;
      return absl::InternalError("inner fails");
    });
    EXPECT_THAT(inner, StatusIs(absl::StatusCode::kInternal, "inner fails"));
    return absl::OkStatus();
  }));
  EXPECT_EQ(QueryText(db, "SELECT group_concat(x) FROM t"), "1");
}

const std::vector<Migration> kMigrations = {
    {1, "CREATE TABLE images (name TEXT PRIMARY KEY);"},
    {2, "ALTER TABLE images ADD COLUMN digest TEXT; INSERT INTO images VALUES ('seed', 'x');"},
};

TEST_F(SqliteTest, MigrationsApplyOnceAndAreIdempotent) {
  {
    Database db = OpenOrDie();
    EXPECT_THAT(SchemaVersion(db), IsOkAndHolds(0));
    BERTH_ASSERT_OK(Migrate(db, kMigrations));
    BERTH_ASSERT_OK(Migrate(db, kMigrations));
    EXPECT_THAT(SchemaVersion(db), IsOkAndHolds(2));
  }
  Database db = OpenOrDie();
  BERTH_ASSERT_OK(Migrate(db, kMigrations));
  EXPECT_EQ(Count(db, "images"), 1);
  EXPECT_THAT(SchemaVersion(db), IsOkAndHolds(2));
}

TEST_F(SqliteTest, FailingMigrationLeavesVersionAndSchema) {
  Database db = OpenOrDie();
  BERTH_ASSERT_OK(Migrate(db, {kMigrations[0]}));
  std::vector<Migration> broken = {
      kMigrations[0], {2, "CREATE TABLE layers (id TEXT); INSERT INTO nope VALUES (1);"}};
  EXPECT_THAT(Migrate(db, broken),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("schema version 2"), HasSubstr("no such table: nope"))));
  EXPECT_THAT(SchemaVersion(db), IsOkAndHolds(1));
  EXPECT_EQ(QueryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'layers'"), "0");
}

TEST_F(SqliteTest, NewerDatabaseRefused) {
  Database db = OpenOrDie();
  BERTH_ASSERT_OK(db.Exec("PRAGMA user_version = 7"));
  EXPECT_THAT(Migrate(db, kMigrations),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("schema version 7"), HasSubstr("up to 2"), HasSubstr(path_),
                             HasSubstr("newer berth"))));
}

TEST_F(SqliteTest, NonIncreasingMigrationsRefused) {
  Database db = OpenOrDie();
  EXPECT_THAT(Migrate(db, {{1, "SELECT 1"}, {1, "SELECT 1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 follows 1")));
  EXPECT_THAT(Migrate(db, {{0, "SELECT 1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0 follows 0")));
  EXPECT_THAT(SchemaVersion(db), IsOkAndHolds(0));
}

TEST_F(SqliteTest, DatabaseAndStatementMove) {
  Database db = OpenOrDie();
  Database moved = std::move(db);
  BERTH_ASSERT_OK(moved.Exec("CREATE TABLE t (x INT)"));
  absl::StatusOr<Statement> stmt = moved.Prepare("SELECT count(*) FROM t");
  BERTH_ASSERT_OK(stmt);
  Statement other = *std::move(stmt);
  EXPECT_THAT(other.Step(), IsOkAndHolds(true));
  EXPECT_EQ(other.Int64(0), 0);
}

}  // namespace
}  // namespace berth::sqlite
