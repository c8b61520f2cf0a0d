#include "services/images/core/metadata_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

class MetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-metadata-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::unique_ptr<MetadataStore> OpenStore() {
    auto store = MetadataStore::Open(dir_ + "/metadata.db");
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }
  static ImageRecord Image(std::string name, absl::string_view content) {
    ImageRecord image;
    image.name = std::move(name);
    image.target = {"application/vnd.oci.image.index.v1+json", Digest::Of(content),
                    static_cast<int64_t>(content.size())};
    return image;
  }

  std::string dir_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(MetadataStoreTest, ImagesCreateGetListDelete) {
  ImageRecord image = Image("docker.io/library/alpine:3.19", "index");
  image.labels = {{"io.cri.pinned", "pinned"}};
  auto created = store_->CreateImage("default", image);
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->target.digest, Digest::Of("index"));
  EXPECT_NE(created->created, absl::Time());
  EXPECT_EQ(created->created, created->updated);
  EXPECT_THAT(store_->CreateImage("default", image), StatusIs(absl::StatusCode::kAlreadyExists));

  auto got = store_->GetImage("default", image.name);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->target.media_type, image.target.media_type);
  EXPECT_EQ(got->target.size, 5);
  EXPECT_THAT(got->labels, ElementsAre(Pair("io.cri.pinned", "pinned")));

  BERTH_ASSERT_OK(store_->CreateImage("default", Image("a:1", "other")).status());
  EXPECT_THAT(store_->ListImages("default"),
              IsOkAndHolds(ElementsAre(Field(&ImageRecord::name, "a:1"),
                                       Field(&ImageRecord::name, image.name))));
  BERTH_EXPECT_OK(store_->DeleteImage("default", "a:1"));
  EXPECT_THAT(store_->DeleteImage("default", "a:1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetImage("default", "a:1"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(MetadataStoreTest, PutImageUpdatesTargetAndKeepsCreated) {
  auto first = store_->PutImage("default", Image("x:latest", "v1"));
  ASSERT_THAT(first, IsOk());
  absl::SleepFor(absl::Milliseconds(2));
  ImageRecord next = Image("x:latest", "v2");
  next.labels = {{"k", "v"}};
  auto second = store_->PutImage("default", next);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->target.digest, Digest::Of("v2"));
  EXPECT_EQ(second->created, first->created);
  EXPECT_GT(second->updated, first->updated);
  EXPECT_THAT(second->labels, ElementsAre(Pair("k", "v")));
  EXPECT_THAT(store_->ListImages("default"), IsOkAndHolds(SizeIs(1)));
}

TEST_F(MetadataStoreTest, NamespacesAreIsolated) {
  BERTH_ASSERT_OK(store_->CreateImage("default", Image("img", "a")).status());
  BERTH_ASSERT_OK(store_->CreateImage("k8s.io", Image("img", "b")).status());
  EXPECT_THAT(
      store_->GetImage("k8s.io", "img"),
      IsOkAndHolds(Field(&ImageRecord::target, Field(&ImageTarget::digest, Digest::Of("b")))));
  BERTH_ASSERT_OK(store_->DeleteImage("k8s.io", "img"));
  EXPECT_THAT(store_->GetImage("default", "img"), IsOk());

  BERTH_ASSERT_OK(store_->SetContentLabels("default", Digest::Of("a"), {{"x", "1"}}));
  EXPECT_THAT(store_->GetContentLabels("k8s.io", Digest::Of("a")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ListContent("k8s.io"), IsOkAndHolds(IsEmpty()));

  BERTH_ASSERT_OK(store_->CreateLease("k8s.io", "l1", {}).status());
  EXPECT_THAT(store_->ListLeases("default"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->AddLeaseResource("default", "l1", kLeaseContent, Digest::Of("a").str()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ListNamespaces(), IsOkAndHolds(ElementsAre("default", "k8s.io")));
}

TEST_F(MetadataStoreTest, NamespaceNamesAreChecked) {
  for (const char* bad : {"", "-x", "a/b", "x.", "white space"}) {
    EXPECT_THAT(store_->ListImages(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(store_->ListImages("k8s.io"), IsOk());
}

TEST_F(MetadataStoreTest, ContentLabels) {
  const Digest d = Digest::Of("manifest");
  EXPECT_THAT(store_->GetContentLabels("default", d), StatusIs(absl::StatusCode::kNotFound));
  BERTH_ASSERT_OK(store_->AddContent("default", d));
  EXPECT_THAT(store_->GetContentLabels("default", d), IsOkAndHolds(IsEmpty()));
  BERTH_ASSERT_OK(store_->SetContentLabels("default", d, {{"a", "1"}, {"b", "2"}, {"e", ""}}));
  EXPECT_THAT(store_->GetContentLabels("default", d),
              IsOkAndHolds(ElementsAre(Pair("a", "1"), Pair("b", "2"))));
  BERTH_ASSERT_OK(store_->AddContent("default", d));  // leaves labels alone
  EXPECT_THAT(store_->GetContentLabels("default", d), IsOkAndHolds(SizeIs(2)));

  // Only the named paths change: a gets a new value, b goes (absent), c arrives.
  EXPECT_THAT(store_->UpdateContentLabels("default", d, {{"a", "9"}, {"c", "3"}, {"z", "no"}},
                                          {"labels.a", "labels.b", "labels.c"}),
              IsOkAndHolds(ElementsAre(Pair("a", "9"), Pair("c", "3"))));
  EXPECT_THAT(store_->UpdateContentLabels("default", d, {{"c", ""}}, {"labels.c"}),
              IsOkAndHolds(ElementsAre(Pair("a", "9"))));
  EXPECT_THAT(store_->UpdateContentLabels("default", d, {{"only", "this"}}, {}),
              IsOkAndHolds(ElementsAre(Pair("only", "this"))));
  EXPECT_THAT(store_->UpdateContentLabels("default", d, {}, {"size"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->UpdateContentLabels("default", Digest::Of("nope"), {}, {}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetContentLabels("default", d),
              IsOkAndHolds(ElementsAre(Pair("only", "this"))));

  BERTH_ASSERT_OK(store_->AddContent("default", Digest::Of("config")));
  auto list = store_->ListContent("default");
  ASSERT_THAT(list, IsOk());
  ASSERT_THAT(*list, SizeIs(2));
  for (const ContentRecord& record : *list) {
    EXPECT_EQ(record.labels.size(), record.digest == d ? 1u : 0u);
  }
  BERTH_EXPECT_OK(store_->RemoveContent("default", d));
  EXPECT_THAT(store_->RemoveContent("default", d), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ListContent("default"), IsOkAndHolds(SizeIs(1)));
  // The labels went with the row.
  BERTH_ASSERT_OK(store_->AddContent("default", d));
  EXPECT_THAT(store_->GetContentLabels("default", d), IsOkAndHolds(IsEmpty()));
}

TEST_F(MetadataStoreTest, Leases) {
  auto lease = store_->CreateLease("default", "", {{"purpose", "pull"}});
  ASSERT_THAT(lease, IsOk());
  EXPECT_FALSE(lease->id.empty());
  EXPECT_FALSE(lease->expire_at.has_value());
  EXPECT_THAT(store_->CreateLease("default", lease->id, {}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  const absl::Time expiry = absl::FromUnixSeconds(4000000000);
  BERTH_ASSERT_OK(store_->CreateLease("default", "timed", {}, expiry).status());

  const std::string d = Digest::Of("layer").str();
  BERTH_ASSERT_OK(store_->AddLeaseResource("default", lease->id, kLeaseContent, d));
  BERTH_ASSERT_OK(store_->AddLeaseResource("default", lease->id, kLeaseContent, d));  // twice
  BERTH_ASSERT_OK(store_->AddLeaseResource("default", lease->id, "snapshots/overlayfs", "k1"));
  BERTH_ASSERT_OK(store_->AddLeaseResource("default", lease->id, kLeaseIngests, "ref 1"));
  EXPECT_THAT(store_->AddLeaseResource("default", lease->id, "volumes", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AddLeaseResource("default", lease->id, "snapshots/", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AddLeaseResource("default", lease->id, kLeaseContent, "not-a-digest"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      store_->ListLeaseResources("default", lease->id),
      IsOkAndHolds(ElementsAre(LeaseResource{"content", d}, LeaseResource{"ingests", "ref 1"},
                               LeaseResource{"snapshots/overlayfs", "k1"})));
  BERTH_ASSERT_OK(store_->DeleteLeaseResource("default", lease->id, kLeaseIngests, "ref 1"));
  EXPECT_THAT(store_->ListLeaseResources("default", lease->id), IsOkAndHolds(SizeIs(2)));

  auto leases = store_->ListLeases("default");
  ASSERT_THAT(leases, IsOk());
  ASSERT_THAT(*leases, SizeIs(2));
  for (const LeaseRecord& l : *leases) {
    if (l.id == "timed") {
      EXPECT_EQ(l.expire_at, expiry);
    } else {
      EXPECT_THAT(l.labels, ElementsAre(Pair("purpose", "pull")));
    }
  }
  BERTH_ASSERT_OK(store_->DeleteLease("default", lease->id));
  EXPECT_THAT(store_->DeleteLease("default", lease->id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ListLeaseResources("default", lease->id),
              StatusIs(absl::StatusCode::kNotFound));
  // A lease made again with the same id starts with no resources.
  BERTH_ASSERT_OK(store_->CreateLease("default", lease->id, {}).status());
  EXPECT_THAT(store_->ListLeaseResources("default", lease->id), IsOkAndHolds(IsEmpty()));
}

TEST_F(MetadataStoreTest, SurvivesReopen) {
  BERTH_ASSERT_OK(store_->CreateImage("default", Image("keep", "k")).status());
  BERTH_ASSERT_OK(store_->SetContentLabels("default", Digest::Of("k"), {{"l", "v"}}));
  store_ = OpenStore();
  EXPECT_THAT(store_->GetImage("default", "keep"), IsOk());
  EXPECT_THAT(store_->GetContentLabels("default", Digest::Of("k")), IsOkAndHolds(SizeIs(1)));
}

}  // namespace
}  // namespace berth::images
