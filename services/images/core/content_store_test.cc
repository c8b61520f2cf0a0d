#include "services/images/core/content_store.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class ContentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-content-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/content";
    store_ = OpenStore();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<ContentStore> OpenStore() {
    absl::StatusOr<std::unique_ptr<ContentStore>> store = ContentStore::Open(root_);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Writes and commits `data` under `ref`, checking the digest.
  Digest Put(absl::string_view ref, absl::string_view data) {
    Digest want = Digest::Of(data);
    auto writer = store_->Writer(ref, static_cast<int64_t>(data.size()), &want);
    EXPECT_THAT(writer, IsOk());
    if (!writer.ok()) return Digest();
    EXPECT_THAT((*writer)->Write(data), IsOk());
    EXPECT_THAT((*writer)->Commit(), IsOkAndHolds(want));
    return want;
  }

  std::string BlobFile(const Digest& d) { return absl::StrCat(root_, "/blobs/sha256/", d.hex()); }
  std::string IngestDir(absl::string_view ref) {
    return absl::StrCat(root_, "/ingest/", Digest::Of(ref).hex());
  }

  std::string dir_, root_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(ContentStoreTest, OpenCreatesPrivateDirs) {
  for (const char* sub : {"", "/blobs", "/blobs/sha256", "/ingest"}) {
    struct stat st;
    ASSERT_EQ(::stat((root_ + sub).c_str(), &st), 0) << sub;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << sub;
  }
}

TEST_F(ContentStoreTest, WriteCommitReadBack) {
  Digest d = Put("layer-1", "hello world");
  EXPECT_THAT(store_->ReadBlob(d, 1024), IsOkAndHolds("hello world"));
  auto info = store_->Info(d);
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->digest, d);
  EXPECT_EQ(info->size, 11);
  EXPECT_NE(info->created_at, absl::Time());

  struct stat st;
  ASSERT_EQ(::stat(BlobFile(d).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  EXPECT_FALSE(std::filesystem::exists(IngestDir("layer-1")));
  EXPECT_THAT(store_->Statuses(), IsOkAndHolds(IsEmpty()));

  auto fd = store_->OpenBlob(d);
  ASSERT_THAT(fd, IsOk());
  char buf[5];
  EXPECT_EQ(::read(fd->get(), buf, 5), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST_F(ContentStoreTest, ReadBlobRefusesLargeAndCorrupt) {
  Digest d = Put("r", "0123456789");
  EXPECT_THAT(store_->ReadBlob(d, 9), StatusIs(absl::StatusCode::kResourceExhausted));
  ::chmod(BlobFile(d).c_str(), 0644);
  std::ofstream(BlobFile(d)) << "01234x6789";
  EXPECT_THAT(store_->ReadBlob(d, 100),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt")));
}

TEST_F(ContentStoreTest, ExistingBlobIsAlreadyExists) {
  Digest d = Put("a", "same bytes");
  EXPECT_THAT(store_->Writer("b", -1, &d), StatusIs(absl::StatusCode::kAlreadyExists));
  // Without the expected digest the write goes on; committing finds the blob and is fine.
  auto writer = store_->Writer("c");
  ASSERT_THAT(writer, IsOk());
  BERTH_ASSERT_OK((*writer)->Write("same bytes"));
  EXPECT_THAT((*writer)->Commit(10, &d), IsOkAndHolds(d));
  EXPECT_FALSE(std::filesystem::exists(IngestDir("c")));
  EXPECT_THAT(store_->List(), IsOkAndHolds(SizeIs(1)));
}

TEST_F(ContentStoreTest, OneWriterPerRef) {
  auto first = store_->Writer("busy ref");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(store_->Writer("busy ref"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("is locked")));
  // A second store object (as another process would) is locked out too.
  auto other = OpenStore();
  EXPECT_THAT(other->Writer("busy ref"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(store_->Abort("busy ref"), StatusIs(absl::StatusCode::kUnavailable));
  first->reset();
  EXPECT_THAT(other->Writer("busy ref"), IsOk());
}

TEST_F(ContentStoreTest, ResumeAfterCrash) {
  const std::string blob = std::string(300000, 'x') + std::string(300000, 'y');
  const Digest want = Digest::Of(blob);
  const size_t half = 250001;
  {
    auto writer = store_->Writer("pull/layer:1", static_cast<int64_t>(blob.size()), &want);
    ASSERT_THAT(writer, IsOk());
    EXPECT_EQ((*writer)->offset(), 0);
    BERTH_ASSERT_OK((*writer)->Write(absl::string_view(blob).substr(0, half)));
  }  // dropped without Commit: a crash, as far as the store can tell
  store_ = OpenStore();

  auto status = store_->Status("pull/layer:1");
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->offset, static_cast<int64_t>(half));
  EXPECT_EQ(status->total, static_cast<int64_t>(blob.size()));
  EXPECT_EQ(status->expected, want);
  EXPECT_NE(status->started_at, absl::Time());
  EXPECT_THAT(store_->Statuses(), IsOkAndHolds(SizeIs(1)));

  auto writer = store_->Writer("pull/layer:1", static_cast<int64_t>(blob.size()), &want);
  ASSERT_THAT(writer, IsOk());
  ASSERT_EQ((*writer)->offset(), static_cast<int64_t>(half));
  EXPECT_EQ((*writer)->digest(), Digest::Of(blob.substr(0, half)));
  BERTH_ASSERT_OK((*writer)->Write(absl::string_view(blob).substr(half)));
  EXPECT_THAT((*writer)->Commit(static_cast<int64_t>(blob.size()), &want), IsOkAndHolds(want));
  EXPECT_THAT(store_->ReadBlob(want, 1 << 20), IsOkAndHolds(blob));
  EXPECT_THAT(store_->Status("pull/layer:1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ContentStoreTest, CorruptedIngestNeverCommits) {
  const std::string blob = "manifest bytes that must arrive intact";
  const Digest want = Digest::Of(blob);
  {
    auto writer = store_->Writer("m", -1, &want);
    ASSERT_THAT(writer, IsOk());
    BERTH_ASSERT_OK((*writer)->Write(absl::string_view(blob).substr(0, 10)));
  }
  // The data on disk rots: one byte flips while nothing holds the ingest.
  {
    std::fstream data(IngestDir("m") + "/data", std::ios::in | std::ios::out | std::ios::binary);
    data.seekp(3);
    data.put('\x01');
  }
  auto writer = store_->Writer("m", -1, &want);
  ASSERT_THAT(writer, IsOk());
  EXPECT_EQ((*writer)->offset(), 10);
  BERTH_ASSERT_OK((*writer)->Write(absl::string_view(blob).substr(10)));
  auto committed = (*writer)->Commit(static_cast<int64_t>(blob.size()), &want);
  EXPECT_THAT(committed, StatusIs(absl::StatusCode::kFailedPrecondition,
                                  AllOf(HasSubstr(want.str()), HasSubstr("digest mismatch"))));
  EXPECT_THAT(store_->Info(want), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->List(), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->Statuses(), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT((*writer)->Write("x"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ContentStoreTest, ResumeAfterCrashBetweenChmodAndRename) {
  {
    auto writer = store_->Writer("late crash");
    ASSERT_THAT(writer, IsOk());
    BERTH_ASSERT_OK((*writer)->Write("almost"));
  }
  ASSERT_EQ(::chmod((IngestDir("late crash") + "/data").c_str(), 0444), 0);
  auto writer = store_->Writer("late crash");
  ASSERT_THAT(writer, IsOk());
  EXPECT_EQ((*writer)->offset(), 6);
  BERTH_ASSERT_OK((*writer)->Write(" done"));
  EXPECT_THAT((*writer)->Commit(11, nullptr), IsOkAndHolds(Digest::Of("almost done")));
}

TEST_F(ContentStoreTest, SizeChecks) {
  auto writer = store_->Writer("s", 5);
  ASSERT_THAT(writer, IsOk());
  EXPECT_THAT((*writer)->Write("123456"), StatusIs(absl::StatusCode::kFailedPrecondition));
  BERTH_ASSERT_OK((*writer)->Write("123"));
  // Short: refused, the ingest stays for resuming.
  EXPECT_THAT((*writer)->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  writer->reset();
  EXPECT_THAT(store_->Status("s"), IsOkAndHolds(::testing::Field(&IngestStatus::offset, 3)));
  // Long: refused, and the ingest is gone.
  auto again = store_->Writer("s");
  ASSERT_THAT(again, IsOk());
  BERTH_ASSERT_OK((*again)->Write("45"));
  EXPECT_THAT((*again)->Commit(4), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->Status("s"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ContentStoreTest, TruncateRehashes) {
  auto writer = store_->Writer("t");
  ASSERT_THAT(writer, IsOk());
  BERTH_ASSERT_OK((*writer)->Write("garbage!"));
  BERTH_ASSERT_OK((*writer)->Truncate(3));
  EXPECT_EQ((*writer)->offset(), 3);
  EXPECT_EQ((*writer)->digest(), Digest::Of("gar"));
  BERTH_ASSERT_OK((*writer)->Truncate(0));
  EXPECT_THAT((*writer)->Truncate(1), StatusIs(absl::StatusCode::kInvalidArgument));
  BERTH_ASSERT_OK((*writer)->Write("clean"));
  EXPECT_THAT((*writer)->Commit(5, nullptr), IsOkAndHolds(Digest::Of("clean")));
}

TEST_F(ContentStoreTest, ResumeWithOtherExpectedDigestStartsOver) {
  Digest first = Digest::Of("first");
  {
    auto writer = store_->Writer("r", -1, &first);
    ASSERT_THAT(writer, IsOk());
    BERTH_ASSERT_OK((*writer)->Write("fir"));
  }
  Digest second = Digest::Of("second");
  auto writer = store_->Writer("r", -1, &second);
  ASSERT_THAT(writer, IsOk());
  EXPECT_EQ((*writer)->offset(), 0);
  BERTH_ASSERT_OK((*writer)->Write("second"));
  EXPECT_THAT((*writer)->Commit(), IsOkAndHolds(second));
}

TEST_F(ContentStoreTest, RefsWithAnyBytes) {
  const std::string refs[] = {"../../etc/passwd", "/abs/path", std::string("nul\0byte", 8),
                              "ünïcode ref", std::string(5000, 'r')};
  for (const std::string& ref : refs) {
    auto writer = store_->Writer(ref);
    ASSERT_THAT(writer, IsOk()) << ref.size();
    BERTH_ASSERT_OK((*writer)->Write("x"));
  }
  auto statuses = store_->Statuses();
  ASSERT_THAT(statuses, IsOk());
  EXPECT_THAT(*statuses, SizeIs(5));
  for (const std::string& ref : refs) {
    EXPECT_THAT(store_->Status(ref), IsOkAndHolds(::testing::Field(&IngestStatus::ref, ref)));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/etc"));
  for (const std::string& ref : refs) BERTH_EXPECT_OK(store_->Abort(ref));
  EXPECT_THAT(store_->Abort("never"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->Statuses(), IsOkAndHolds(IsEmpty()));
}

TEST_F(ContentStoreTest, ListDeleteUsage) {
  Digest a = Put("a", "aaaa");
  Digest b = Put("b", "bbbbbb");
  std::ofstream(root_ + "/blobs/sha256/not-a-digest") << "stray";
  auto usage = store_->Usage();
  ASSERT_THAT(usage, IsOk());
  EXPECT_EQ(usage->blob_count, 2);
  EXPECT_EQ(usage->total_bytes, 10);
  BERTH_EXPECT_OK(store_->Delete(a));
  EXPECT_THAT(store_->Delete(a), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->OpenBlob(a), StatusIs(absl::StatusCode::kNotFound));
  auto list = store_->List();
  ASSERT_THAT(list, IsOk());
  ASSERT_THAT(*list, SizeIs(1));
  EXPECT_EQ((*list)[0].digest, b);
}

TEST_F(ContentStoreTest, ConcurrentCommitsOfTheSameBlob) {
  const std::string blob(100000, 'z');
  const Digest want = Digest::Of(blob);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto writer = store_->Writer(absl::StrCat("ref-", i));
      if (!writer.ok()) return;
      if (!(*writer)->Write(blob).ok()) return;
      if ((*writer)->Commit(static_cast<int64_t>(blob.size()), &want).ok()) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_THAT(store_->ReadBlob(want, 1 << 20), IsOkAndHolds(blob));
  EXPECT_THAT(store_->Statuses(), IsOkAndHolds(IsEmpty()));
}

}  // namespace
}  // namespace berth::images
