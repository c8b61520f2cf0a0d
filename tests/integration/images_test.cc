// The Images and Snapshots services through berthctl and gRPC: a busybox image written
// into a private berthd's images root before it starts, then listed, tagged, inspected,
// shown as history and removed as Docker does it.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "berth/images/v1/snapshots.grpc.pb.h"
#include "common/rpc/namespace.h"
#include "common/status_matchers.h"
#include "services/images/core/image_root.h"
#include "services/images/core/layer_test_support.h"
#include "services/images/core/storage_driver.h"
#include "services/images/testing/test_image.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace img = ::berth::images;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

class ImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string images_root = dir_ / "berthd/root/images";
    std::filesystem::create_directories(dir_ / "berthd/root");
    {
      img::ImageRootOptions options;
      options.root_dir = images_root;
      options.storage_driver = img::DetectStorageDriver("");
      auto root = img::ImageRoot::Open(options);
      ASSERT_TRUE(root.ok()) << root.status();
      img::testing::TestImage busybox;
      busybox.layers = {
          img::testing::BuildTar({img::testing::Dir("bin"),
                                  img::testing::File("bin/busybox", ReadFile("/bin/busybox"), 0755),
                                  img::testing::Symlink("bin/sh", "busybox"),
                                  img::testing::Symlink("bin/ls", "busybox")})};
      busybox.cmd = {"sh"};
      img::HistoryEntry add, cmd;
      add.created = cmd.created = "2024-01-02T03:04:05Z";
      add.created_by = "/bin/sh -c #(nop) ADD file:busybox in /bin/";
      cmd.created_by = "/bin/sh -c #(nop)  CMD [\"sh\"]";
      cmd.empty_layer = true;
      busybox.history = {add, cmd};
      auto written = img::testing::AddTestImage(**root, "default",
                                                "docker.io/library/busybox:latest", busybox);
      ASSERT_TRUE(written.ok()) << written.status();
      image_ = *written;
    }
    blobs_dir_ = images_root + "/content/blobs/sha256";
    snapshots_dir_ = images_root + "/snapshots/snapshots";
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
  }

  RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {BerthctlPath(), "-H", berthd_->address()});
    return RunCommand(args);
  }

  std::string ShortId() const { return std::string(image_.id.hex().substr(0, 12)); }

  TestDir dir_;
  img::testing::WrittenImage image_;
  std::string blobs_dir_, snapshots_dir_;
  std::unique_ptr<BerthdProcess> berthd_;
};

TEST_F(ImagesTest, ListTagInspectHistoryAndRemove) {
  RunResult list = Ctl({"images"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::vector<std::string> rows = Lines(list.out);
  ASSERT_EQ(rows.size(), 2u) << list.out;
  EXPECT_THAT(rows[0], StartsWith("REPOSITORY   TAG       IMAGE ID       CREATED"));
  EXPECT_THAT(rows[0], HasSubstr("SIZE"));
  EXPECT_THAT(rows[1], StartsWith("busybox      latest    " + ShortId() + "   "));
  EXPECT_THAT(rows[1], HasSubstr(" ago "));
  EXPECT_THAT(rows[1], HasSubstr("MB"));

  RunResult tag = Ctl({"tag", "busybox", "myrepo/bb:v1"});
  ASSERT_EQ(tag.exit_code, 0) << tag.err;
  RunResult quiet = Ctl({"image", "ls", "-q"});
  EXPECT_THAT(Lines(quiet.out), ElementsAre(ShortId(), ShortId()));
  RunResult filtered = Ctl({"images", "--format", "{{.Repository}}:{{.Tag}}", "myrepo/*"});
  EXPECT_EQ(filtered.out, "myrepo/bb:v1\n") << filtered.err;

  RunResult inspect = Ctl({"image", "inspect", "busybox"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  auto json = nlohmann::json::parse(inspect.out);
  ASSERT_EQ(json.size(), 1u);
  const auto& details = json[0];
  EXPECT_EQ(details["Id"], image_.id.str());
  EXPECT_THAT(details["RepoTags"].get<std::vector<std::string>>(),
              ElementsAre("busybox:latest", "myrepo/bb:v1"));
  EXPECT_EQ(details["RepoDigests"].size(), 2u);
  EXPECT_EQ(details["Created"], "2024-01-02T03:04:05Z");
  EXPECT_EQ(details["Os"], "linux");
  EXPECT_FALSE(details["Architecture"].get<std::string>().empty());
  EXPECT_THAT(details["Config"]["Cmd"].get<std::vector<std::string>>(), ElementsAre("sh"));
  EXPECT_EQ(details["RootFS"]["Type"], "layers");
  EXPECT_THAT(details["RootFS"]["Layers"].get<std::vector<std::string>>(),
              ElementsAre(image_.layer_blobs[0].str()));
  EXPECT_GT(details["Size"].get<int64_t>(), 1000000);
  EXPECT_EQ(details["GraphDriver"]["Name"], img::DetectStorageDriver(""));
  RunResult id_only = Ctl({"image", "inspect", "-f", "{{.Id}} {{json .Config.Cmd}}", "busybox"});
  EXPECT_EQ(id_only.out, image_.id.str() + " [\"sh\"]\n") << id_only.err;

  RunResult history = Ctl({"history", "busybox"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  rows = Lines(history.out);
  ASSERT_EQ(rows.size(), 3u) << history.out;
  EXPECT_THAT(rows[0], StartsWith("IMAGE          CREATED"));
  EXPECT_THAT(rows[0], HasSubstr("CREATED BY"));
  EXPECT_THAT(rows[1], StartsWith(ShortId()));
  EXPECT_THAT(rows[1], HasSubstr("CMD [\"sh\"]"));
  EXPECT_THAT(rows[1], HasSubstr(" 0B"));
  EXPECT_THAT(rows[2], StartsWith("<missing>"));
  EXPECT_THAT(rows[2], HasSubstr("ADD file:busybox"));
  EXPECT_THAT(rows[2], HasSubstr("MB"));

  // The snapshot is visible through the Snapshots service; another snapshotter is refused.
  auto channel = grpc::CreateChannel(berthd_->address(), grpc::InsecureChannelCredentials());
  auto snapshots = img::v1::Snapshots::NewStub(channel);
  {
    grpc::ClientContext context;
    img::v1::StatSnapshotRequest request;
    request.set_key(image_.chain_ids.back().str());
    img::v1::StatSnapshotResponse response;
    grpc::Status status = snapshots->Stat(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.info().kind(), img::v1::SNAPSHOT_KIND_COMMITTED);
  }
  {
    grpc::ClientContext context;
    img::v1::StatSnapshotRequest request;
    request.set_snapshotter("zfs");
    request.set_key(image_.chain_ids.back().str());
    img::v1::StatSnapshotResponse response;
    EXPECT_EQ(snapshots->Stat(&context, request, &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }

  RunResult refused = Ctl({"rmi", ShortId()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "Error response from daemon: conflict: unable to delete " + ShortId() +
                             " (must be forced) - image is referenced in multiple repositories\n");
  ASSERT_TRUE(std::filesystem::exists(blobs_dir_ + "/" + std::string(image_.id.hex())));

  RunResult removed = Ctl({"rmi", "-f", ShortId()});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(removed.out,
            "Untagged: busybox:latest\nUntagged: myrepo/bb:v1\nDeleted: " + image_.id.str() + "\n");
  for (const img::Digest& blob : {image_.id, image_.target.digest, image_.layer_blobs[0]}) {
    EXPECT_FALSE(std::filesystem::exists(blobs_dir_ + "/" + std::string(blob.hex()))) << blob.str();
  }
  EXPECT_TRUE(std::filesystem::is_empty(snapshots_dir_));
  EXPECT_THAT(Lines(Ctl({"images"}).out), ::testing::SizeIs(1));

  RunResult missing = Ctl({"rmi", "busybox"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "Error response from daemon: No such image: busybox\n");
}

TEST_F(ImagesTest, SnapshotsServiceWorksInTheCallersNamespace) {
  auto channel = grpc::CreateChannel(berthd_->address(), grpc::InsecureChannelCredentials());
  auto snapshots = img::v1::Snapshots::NewStub(channel);
  const std::string key = UniqueName();
  {
    grpc::ClientContext context;
    img::v1::PrepareSnapshotRequest request;
    request.set_key(key);
    request.set_parent(image_.chain_ids.back().str());
    img::v1::PrepareSnapshotResponse response;
    grpc::Status status = snapshots->Prepare(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_GE(response.mounts_size(), 1);
  }
  {
    grpc::ClientContext context;
    img::v1::CommitSnapshotRequest request;
    request.set_key(key);
    request.set_name(key + "-committed");
    (*request.mutable_labels())["role"] = "test";
    google::protobuf::Empty empty;
    grpc::Status status = snapshots->Commit(&context, request, &empty);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    grpc::ClientContext context;
    img::v1::ListSnapshotsRequest request;
    auto* filter = request.add_filters();
    filter->set_key("label");
    filter->add_values("role=test");
    auto reader = snapshots->List(&context, request);
    img::v1::ListSnapshotsResponse batch;
    std::vector<std::string> names;
    while (reader->Read(&batch)) {
      for (const auto& info : batch.info()) names.push_back(info.name());
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_THAT(names, ElementsAre(key + "-committed"));
  }
  {
    // Another namespace sees nothing of it.
    grpc::ClientContext context;
    rpc::SetNamespace(context, "other");
    img::v1::StatSnapshotRequest request;
    request.set_key(key + "-committed");
    img::v1::StatSnapshotResponse response;
    EXPECT_EQ(snapshots->Stat(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    img::v1::RemoveSnapshotRequest request;
    request.set_key(key + "-committed");
    google::protobuf::Empty empty;
    EXPECT_TRUE(snapshots->Remove(&context, request, &empty).ok());
  }
  {
    // An unknown lease is refused before anything is made.
    grpc::ClientContext context;
    context.AddMetadata("berth-lease", "no-such-lease");
    img::v1::PrepareSnapshotRequest request;
    request.set_key(key);
    img::v1::PrepareSnapshotResponse response;
    EXPECT_EQ(snapshots->Prepare(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
    grpc::ClientContext stat_context;
    img::v1::StatSnapshotRequest stat;
    stat.set_key(key);
    img::v1::StatSnapshotResponse info;
    EXPECT_EQ(snapshots->Stat(&stat_context, stat, &info).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(ImagesTest, UsageErrorsExit125) {
  EXPECT_EQ(Ctl({"tag", "busybox"}).exit_code, 125);
  EXPECT_EQ(Ctl({"rmi"}).exit_code, 125);
}

}  // namespace
}  // namespace berth::testing
