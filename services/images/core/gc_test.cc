#include "services/images/core/gc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <mutex>
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
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kOverlay[] = "overlayfs";

// An in-memory snapshotter that refuses to remove a snapshot that still has children.
class FakeCatalog : public SnapshotCatalog {
 public:
  void Add(std::string ns, std::string key, std::string parent = "", Labels labels = {}) {
    std::lock_guard lock(mu_);
    entries_.push_back({std::move(ns), std::move(key), std::move(parent), std::move(labels)});
  }
  bool Has(absl::string_view ns, absl::string_view key) {
    std::lock_guard lock(mu_);
    return Find(ns, key) != entries_.end();
  }
  std::vector<std::string> removed() {
    std::lock_guard lock(mu_);
    return removed_;
  }

  absl::StatusOr<std::vector<SnapshotEntry>> ListSnapshots() override {
    std::lock_guard lock(mu_);
    return entries_;
  }
  absl::Status RemoveSnapshot(absl::string_view ns, absl::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = Find(ns, key);
    if (it == entries_.end()) return absl::NotFoundError(std::string(key));
    for (const SnapshotEntry& e : entries_) {
      if (e.ns == ns && e.parent == key) {
        return absl::FailedPreconditionError(absl::StrCat(key, " has child ", e.key));
      }
    }
    entries_.erase(it);
    removed_.emplace_back(key);
    return absl::OkStatus();
  }

 private:
  std::vector<SnapshotEntry>::iterator Find(absl::string_view ns, absl::string_view key) {
    return std::find_if(entries_.begin(), entries_.end(),
                        [&](const SnapshotEntry& e) { return e.ns == ns && e.key == key; });
  }
  std::mutex mu_;
  std::vector<SnapshotEntry> entries_;
  std::vector<std::string> removed_;
};

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-gc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto content = ContentStore::Open(dir_ + "/content");
    ASSERT_THAT(content, IsOk());
    content_ = *std::move(content);
    auto metadata = MetadataStore::Open(dir_ + "/metadata.db");
    ASSERT_THAT(metadata, IsOk());
    metadata_ = *std::move(metadata);
    gc_ = std::make_unique<GarbageCollector>(
        content_.get(), metadata_.get(), &lock_,
        std::map<std::string, SnapshotCatalog*>{{kOverlay, &snapshots_}});
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Commits `data` as a blob; with `ns`, also gives it a row there with `labels`.
  Digest Blob(absl::string_view data, absl::string_view ns = "", const Labels& labels = {}) {
    Digest d = Digest::Of(data);
    auto writer = content_->Writer(absl::StrCat("ref-", d.hex()), -1, &d);
    if (writer.ok()) {
      EXPECT_THAT((*writer)->Write(data), IsOk());
      EXPECT_THAT((*writer)->Commit(), IsOk());
    } else {
      EXPECT_THAT(writer, StatusIs(absl::StatusCode::kAlreadyExists));
    }
    if (!ns.empty()) {
      EXPECT_THAT(metadata_->SetContentLabels(ns, d, labels), IsOk());
    }
    return d;
  }
  bool Exists(const Digest& d) { return content_->Info(d).ok(); }
  void Image(absl::string_view ns, std::string name, const Digest& target) {
    ImageRecord image;
    image.name = std::move(name);
    image.target = {"application/vnd.oci.image.manifest.v1+json", target, 1};
    ASSERT_THAT(metadata_->PutImage(ns, image), IsOk());
  }
  GcResult Collect() {
    auto result = gc_->Collect();
    EXPECT_THAT(result, IsOk());
    if (!result.ok()) return {};
    EXPECT_THAT(result->errors, IsEmpty());
    return *result;
  }

  std::string dir_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<MetadataStore> metadata_;
  GcLock lock_;
  FakeCatalog snapshots_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(GcTest, ImageKeepsWhatItReachesThroughLabels) {
  // image → manifest → {config, layer}; config → snapshot top → mid → base.
  snapshots_.Add("default", "base");
  snapshots_.Add("default", "mid", "base");
  snapshots_.Add("default", "top", "mid");
  snapshots_.Add("default", "orphan");
  snapshots_.Add("default", "orphan-child", "orphan");
  snapshots_.Add("default", "orphan-grandchild", "orphan-child");
  Digest layer = Blob("layer", "default");
  Digest config = Blob("config", "default",
                       {{absl::StrCat(kGcRefSnapshotLabelPrefix, kOverlay, "/top"), "top"}});
  Digest manifest = Blob("manifest", "default",
                         {{"berth.io/gc.ref.content.config", config.str()},
                          {"berth.io/gc.ref.content.l.0", layer.str()}});
  Image("default", "app:1", manifest);
  Digest junk = Blob("junk", "default");
  Digest orphan_blob = Blob("no row anywhere");

  GcResult result = Collect();
  EXPECT_EQ(result.removed_blobs, 2);
  EXPECT_EQ(result.reclaimed_bytes, 4 + 15);
  EXPECT_EQ(result.removed_content_rows, 1);
  EXPECT_EQ(result.removed_snapshots, 3);
  EXPECT_THAT(snapshots_.removed(), ElementsAre("orphan-grandchild", "orphan-child", "orphan"));
  for (const Digest& d : {manifest, config, layer}) EXPECT_TRUE(Exists(d)) << d.str();
  EXPECT_FALSE(Exists(junk));
  EXPECT_FALSE(Exists(orphan_blob));
  for (const char* key : {"base", "mid", "top"}) EXPECT_TRUE(snapshots_.Has("default", key));

  // A second run finds nothing more; once the image goes, everything does.
  EXPECT_EQ(Collect().removed_blobs, 0);
  BERTH_ASSERT_OK(metadata_->DeleteImage("default", "app:1"));
  result = Collect();
  EXPECT_EQ(result.removed_blobs, 3);
  EXPECT_EQ(result.removed_snapshots, 3);
  EXPECT_THAT(metadata_->ListContent("default"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(content_->List(), IsOkAndHolds(IsEmpty()));
}

TEST_F(GcTest, NamespacesAreMarkedSeparately) {
  Digest config = Blob("config");
  // In "a" the manifest has no labels, so config is not reachable from a's image.
  Digest manifest = Blob("manifest", "a");
  Image("a", "img", manifest);
  // In "b" the same manifest points at config, but nothing in b is a root.
  BERTH_ASSERT_OK(
      metadata_->SetContentLabels("b", manifest, {{"berth.io/gc.ref.content", config.str()}}));
  BERTH_ASSERT_OK(metadata_->AddContent("b", config));

  GcResult result = Collect();
  EXPECT_EQ(result.removed_content_rows, 2);  // b's two rows
  EXPECT_EQ(result.removed_blobs, 1);         // config
  EXPECT_TRUE(Exists(manifest));
  EXPECT_FALSE(Exists(config));
  EXPECT_THAT(metadata_->ListContent("b"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(metadata_->ListContent("a"), IsOkAndHolds(::testing::SizeIs(1)));
}

TEST_F(GcTest, LeaseKeepsUnlabelledContentUntilDeleted) {
  auto lease = metadata_->CreateLease("default", "pull-1", {});
  ASSERT_THAT(lease, IsOk());
  Digest d = Blob("downloading layer");  // no row, no label: only the lease holds it
  BERTH_ASSERT_OK(metadata_->AddLeaseResource("default", "pull-1", kLeaseContent, d.str()));
  snapshots_.Add("default", "unpacking");
  BERTH_ASSERT_OK(
      metadata_->AddLeaseResource("default", "pull-1", "snapshots/overlayfs", "unpacking"));
  EXPECT_EQ(Collect().removed_blobs, 0);
  EXPECT_TRUE(Exists(d));
  EXPECT_TRUE(snapshots_.Has("default", "unpacking"));

  BERTH_ASSERT_OK(metadata_->DeleteLease("default", "pull-1"));
  GcResult result = Collect();
  EXPECT_EQ(result.removed_blobs, 1);
  EXPECT_EQ(result.removed_snapshots, 1);
  EXPECT_FALSE(Exists(d));
}

TEST_F(GcTest, ExpiredLeaseIsNoRoot) {
  Digest d = Blob("stale");
  BERTH_ASSERT_OK(
      metadata_->CreateLease("default", "old", {}, absl::Now() - absl::Seconds(1)).status());
  BERTH_ASSERT_OK(metadata_->AddLeaseResource("default", "old", kLeaseContent, d.str()));
  Digest kept = Blob("fresh");
  BERTH_ASSERT_OK(
      metadata_->CreateLease("default", "new", {}, absl::Now() + absl::Hours(1)).status());
  BERTH_ASSERT_OK(metadata_->AddLeaseResource("default", "new", kLeaseContent, kept.str()));

  GcResult result = Collect();
  EXPECT_EQ(result.removed_leases, 1);
  EXPECT_EQ(result.removed_blobs, 1);
  EXPECT_FALSE(Exists(d));
  EXPECT_TRUE(Exists(kept));
  auto leases = metadata_->ListLeases("default");
  ASSERT_THAT(leases, IsOk());
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ((*leases)[0].id, "new");
}

TEST_F(GcTest, LabelRoots) {
  Digest child = Blob("child");
  Digest root = Blob("pinned", "k8s.io",
                     {{kGcRootLabel, "2024-01-01"}, {"berth.io/gc.ref.content.0", child.str()}});
  snapshots_.Add("k8s.io", "base");
  snapshots_.Add("k8s.io", "pinned-snap", "base", {{kGcRootLabel, "yes"}});
  snapshots_.Add("k8s.io", "loose");
  GcResult result = Collect();
  EXPECT_EQ(result.removed_blobs, 0);
  EXPECT_TRUE(Exists(root));
  EXPECT_TRUE(Exists(child));
  EXPECT_THAT(snapshots_.removed(), ElementsAre("loose"));

  BERTH_ASSERT_OK(metadata_->UpdateContentLabels("k8s.io", root, {}, {"labels.berth.io/gc.root"}));
  EXPECT_EQ(Collect().removed_blobs, 2);
}

TEST_F(GcTest, SnapshotRemovalFailureSparesItsParents) {
  class Stubborn : public FakeCatalog {
   public:
    absl::Status RemoveSnapshot(absl::string_view ns, absl::string_view key) override {
      if (key == "busy") return absl::FailedPreconditionError("busy is mounted");
      return FakeCatalog::RemoveSnapshot(ns, key);
    }
  } stubborn;
  stubborn.Add("default", "base");
  stubborn.Add("default", "busy", "base");
  stubborn.Add("default", "other");
  GarbageCollector gc(content_.get(), metadata_.get(), &lock_, {{kOverlay, &stubborn}});
  auto result = gc.Collect();
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->removed_snapshots, 1);
  EXPECT_EQ(result->errors.size(), 2u);  // busy, then base skipped
  EXPECT_TRUE(stubborn.Has("default", "base"));
  EXPECT_THAT(stubborn.removed(), ElementsAre("other"));
}

TEST_F(GcTest, UnnamespacedSnapshotsAreReachedFromAnyNamespace) {
  snapshots_.Add("", "shared-base");
  snapshots_.Add("", "shared-top", "shared-base");
  snapshots_.Add("", "unused");
  Digest config = Blob("cfg", "default", {{"berth.io/gc.ref.snapshot.overlayfs", "shared-top"}});
  Image("default", "i", config);
  EXPECT_EQ(Collect().removed_snapshots, 1);
  EXPECT_TRUE(snapshots_.Has("", "shared-base"));
  EXPECT_FALSE(snapshots_.Has("", "unused"));
}

// One thread pulls as a pull does (under the GC lock, shared, per blob: commit the config
// and the manifest, label the manifest → config, lease the manifest) and also drops
// garbage; another collects 100 times. Nothing reachable may ever go.
TEST_F(GcTest, ConcurrentPullsAndCollections) {
  BERTH_ASSERT_OK(metadata_->CreateLease("default", "pull", {}).status());
  std::atomic<bool> done{false};
  std::atomic<int> collections{0};
  int64_t collected_during = 0;  // garbage the collector took while pulls went on
  std::vector<std::pair<Digest, Digest>> pulled;
  std::vector<std::string> failures;

  std::thread collector([&] {
    for (int i = 0; i < 100; ++i) {
      auto result = gc_->Collect();
      if (!result.ok() || !result->errors.empty()) {
        failures.push_back(result.ok() ? result->errors[0] : result.status().ToString());
      }
      if (result.ok()) collected_during += result->removed_blobs;
      absl::SleepFor(absl::Milliseconds(2));  // let pulls in between collections
      ++collections;
    }
    done = true;
  });
  for (int i = 0; !done || i < 20; ++i) {
    std::string tag = absl::StrCat("iteration ", i);
    {
      auto shared = lock_.Shared();
      Digest config = Blob(absl::StrCat("config of ", tag));
      Digest manifest = Blob(absl::StrCat("manifest of ", tag), "default",
                             {{"berth.io/gc.ref.content.config", config.str()}});
      ASSERT_THAT(metadata_->AddLeaseResource("default", "pull", kLeaseContent, manifest.str()),
                  IsOk());
      pulled.emplace_back(manifest, config);
    }
    Blob(absl::StrCat("garbage of ", tag));
    for (const auto& [manifest, config] : pulled) {
      ASSERT_TRUE(Exists(manifest) && Exists(config)) << "lost a pulled blob after " << tag;
    }
  }
  collector.join();
  EXPECT_THAT(failures, IsEmpty());
  EXPECT_EQ(collections.load(), 100);
  RecordProperty("pulls", static_cast<int>(pulled.size()));
  RecordProperty("collected_during", static_cast<int>(collected_during));

  Collect();
  for (const auto& [manifest, config] : pulled) {
    EXPECT_TRUE(Exists(manifest));
    EXPECT_TRUE(Exists(config));
  }
  auto usage = content_->Usage();
  ASSERT_THAT(usage, IsOk());
  EXPECT_EQ(usage->blob_count, static_cast<int64_t>(2 * pulled.size()));
}

}  // namespace
}  // namespace berth::images
