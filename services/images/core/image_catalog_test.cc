#include "services/images/core/image_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"
#include "services/images/core/layer_test_support.h"
#include "services/images/testing/test_image.h"

namespace berth::images {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using namespace ::berth::images::testing;

constexpr char kNs[] = "default";

HistoryEntry Step(std::string created, std::string created_by, std::string comment = "",
                  bool empty_layer = false) {
  HistoryEntry step;
  step.created = std::move(created);
  step.created_by = std::move(created_by);
  step.comment = std::move(comment);
  step.empty_layer = empty_layer;
  return step;
}

class ImageCatalogTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ImageRootOptions options;
    options.root_dir = dir_.path();
    options.storage_driver = GetParam();
    auto root = ImageRoot::Open(options);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
  }

  // A one-layer image whose layer holds `file` with `data`, recorded as `name`.
  WrittenImage Add(const std::string& name, const std::string& data, TestImage image = {}) {
    if (image.layers.empty()) image.layers = {BuildTar({Dir("etc"), File("etc/" + data, data)})};
    auto written = AddTestImage(*root_, kNs, name, image);
    EXPECT_TRUE(written.ok()) << written.status();
    return written.value_or(WrittenImage{});
  }

  ImageCatalog Catalog() { return ImageCatalog(*root_, kNs); }

  bool HasBlob(const Digest& digest) { return root_->content().Info(digest).ok(); }
  bool HasSnapshot(const Digest& chain) { return root_->SnapshotsOf(kNs).Stat(chain.str()).ok(); }

  TempDir dir_{"catalog"};
  std::unique_ptr<ImageRoot> root_;
};

TEST_P(ImageCatalogTest, ListGroupsNamesByImageIdInFamiliarForm) {
  TestImage labelled;
  labelled.labels = {{"org.example.role", "base"}};
  WrittenImage busybox = Add("docker.io/library/busybox:latest", "bb", labelled);
  Add("docker.io/library/busybox:1.36", "bb", labelled);
  Add("localhost:5000/team/busybox:v1", "bb", labelled);
  WrittenImage other = Add("docker.io/library/alpine@sha256:" + std::string(64, 'a'), "al");

  auto list = Catalog().List({});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  const bool busybox_first = (*list)[0].id == busybox.id;
  const ImageSummary* bb = &(*list)[busybox_first ? 0 : 1];
  EXPECT_EQ(bb->id, busybox.id);
  EXPECT_THAT(bb->repo_tags,
              ElementsAre("busybox:1.36", "busybox:latest", "localhost:5000/team/busybox:v1"));
  EXPECT_THAT(bb->repo_digests,
              ElementsAre("busybox@" + busybox.target.digest.str(),
                          "localhost:5000/team/busybox@" + busybox.target.digest.str()));
  EXPECT_GT(bb->size, 0);
  EXPECT_EQ(bb->labels.at("org.example.role"), "base");
  EXPECT_EQ(bb->created, absl::FromUnixSeconds(1704164645));
  EXPECT_EQ(bb->target.digest, busybox.target.digest);
  EXPECT_EQ(bb->platform.os, "linux");

  const ImageSummary* al = &(*list)[busybox_first ? 1 : 0];
  EXPECT_EQ(al->id, other.id);
  EXPECT_THAT(al->repo_tags, IsEmpty());  // dangling: only a digest reference
  EXPECT_THAT(al->repo_digests, ElementsAre("alpine@sha256:" + std::string(64, 'a')));
}

TEST_P(ImageCatalogTest, ListFilters) {
  TestImage labelled;
  labelled.labels = {{"tier", "web"}};
  WrittenImage web = Add("docker.io/library/nginx:1", "web", labelled);
  WrittenImage dangling = Add("docker.io/library/x@sha256:" + std::string(64, 'b'), "x");
  WrittenImage app = Add("docker.io/team/app:2", "app");

  auto ids = [&](const std::map<std::string, std::vector<std::string>>& raw) {
    auto filters = ParseImageFilters(raw);
    EXPECT_TRUE(filters.ok()) << filters.status();
    std::vector<Digest> out;
    auto list = Catalog().List(*filters);
    EXPECT_TRUE(list.ok()) << list.status();
    if (!list.ok()) return out;
    for (const ImageSummary& s : *list) out.push_back(s.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_THAT(ids({{"dangling", {"true"}}}), ElementsAre(dangling.id));
  EXPECT_EQ(ids({{"dangling", {"false"}}}).size(), 2u);
  EXPECT_THAT(ids({{"reference", {"nginx"}}}), ElementsAre(web.id));
  EXPECT_THAT(ids({{"reference", {"team/*:2"}}}), ElementsAre(app.id));
  EXPECT_THAT(ids({{"reference", {"*"}}}), UnorderedElementsAre(web.id, dangling.id));
  EXPECT_THAT(ids({{"label", {"tier"}}}), ElementsAre(web.id));
  EXPECT_THAT(ids({{"label", {"tier=db"}}}), IsEmpty());
  EXPECT_EQ(ids({{"label!", {"tier"}}}).size(), 2u);
  EXPECT_THAT(ParseImageFilters({{"color", {"red"}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid filter 'color'")));
  EXPECT_THAT(ParseImageFilters({{"dangling", {"maybe"}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ImageCatalogTest, NamesIdsAndPrefixesResolveAsDockerDoes) {
  WrittenImage image = Add("docker.io/library/busybox:latest", "bb");
  ImageCatalog catalog = Catalog();
  for (std::string name : {std::string("busybox"), std::string("busybox:latest"),
                           std::string("docker.io/library/busybox"), image.id.str(),
                           std::string(image.id.hex()), std::string(image.id.hex().substr(0, 12)),
                           "sha256:" + std::string(image.id.hex().substr(0, 5)),
                           "busybox@" + image.target.digest.str()}) {
    auto record = catalog.Get(name);
    ASSERT_TRUE(record.ok()) << name << ": " << record.status();
    EXPECT_EQ(record->name, "docker.io/library/busybox:latest") << name;
  }
  EXPECT_THAT(catalog.Get("nope"), StatusIs(absl::StatusCode::kNotFound, "No such image: nope"));
  EXPECT_THAT(catalog.Inspect("sha256:" + std::string(64, '0')),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("No such image")));
}

TEST_P(ImageCatalogTest, AmbiguousIdPrefixIsAnError) {
  // Seventeen IDs: two of them share their first hex digit.
  std::map<char, Digest> by_first;
  std::string shared;
  for (int i = 0; shared.empty(); ++i) {
    TestImage image;
    image.unpack = false;
    image.labels = {{"n", std::to_string(i)}};
    WrittenImage written = Add("docker.io/library/img" + std::to_string(i) + ":latest", "z", image);
    char first = written.id.hex()[0];
    if (by_first.contains(first)) shared = std::string(1, first);
    by_first[first] = written.id;
  }
  EXPECT_THAT(Catalog().Inspect(shared),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "multiple IDs found with provided prefix: " + shared));
}

TEST_P(ImageCatalogTest, TagAddsANormalisedNameAndMovesAnExistingOne) {
  WrittenImage first = Add("docker.io/library/busybox:latest", "one");
  WrittenImage second = Add("docker.io/library/alpine:latest", "two");
  ImageCatalog catalog = Catalog();
  auto tagged = catalog.Tag("busybox", "myrepo/bb:v1");
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  EXPECT_EQ(tagged->name, "docker.io/myrepo/bb:v1");
  EXPECT_EQ(tagged->target.digest, first.target.digest);

  ASSERT_THAT(catalog.Tag(std::string(second.id.hex().substr(0, 8)), "myrepo/bb:v1").status(),
              IsOk());
  EXPECT_EQ(catalog.Get("myrepo/bb:v1")->target.digest, second.target.digest);
  EXPECT_THAT(catalog.Tag("busybox", "x@sha256:" + std::string(64, 'c')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("digest")));
  EXPECT_THAT(catalog.Tag("nope", "x:y"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ImageCatalogTest, DeleteByNameUntagsThenDeletesAndCollects) {
  WrittenImage image = Add("docker.io/library/busybox:latest", "bb");
  ImageCatalog catalog = Catalog();
  ASSERT_THAT(catalog.Tag("busybox", "busybox:old").status(), IsOk());

  auto untag = catalog.Delete("busybox:old", false);
  ASSERT_TRUE(untag.ok()) << untag.status();
  ASSERT_EQ(untag->size(), 1u);
  EXPECT_EQ((*untag)[0].untagged, "busybox:old");
  EXPECT_TRUE(HasBlob(image.id));
  EXPECT_TRUE(HasSnapshot(image.chain_ids.back()));

  auto gone = catalog.Delete("busybox", false);
  ASSERT_TRUE(gone.ok()) << gone.status();
  ASSERT_EQ(gone->size(), 2u);
  EXPECT_EQ((*gone)[0].untagged, "busybox:latest");
  EXPECT_EQ((*gone)[1].deleted, image.id.str());
  EXPECT_FALSE(HasBlob(image.id));
  EXPECT_FALSE(HasBlob(image.target.digest));
  EXPECT_FALSE(HasBlob(image.layer_blobs[0]));
  EXPECT_FALSE(HasSnapshot(image.chain_ids.back()));
  EXPECT_THAT(catalog.List({}), ::berth::testing::IsOkAndHolds(IsEmpty()));
}

TEST_P(ImageCatalogTest, DeleteByIdNeedsForceAcrossRepositories) {
  TestImage two_layers;
  two_layers.layers = {BuildTar({File("a", "a")}), BuildTar({File("b", "b")})};
  WrittenImage image = Add("docker.io/library/busybox:latest", "", two_layers);
  // Another image sharing the base layer keeps it.
  TestImage base_only;
  base_only.layers = {BuildTar({File("a", "a")})};
  WrittenImage keeper = Add("docker.io/library/base:latest", "", base_only);
  ImageCatalog catalog = Catalog();
  ASSERT_THAT(catalog.Tag("busybox", "other/busybox:x").status(), IsOk());

  const std::string short_id(image.id.hex().substr(0, 12));
  EXPECT_THAT(catalog.Delete(short_id, false),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "conflict: unable to delete " + short_id +
                           " (must be forced) - image is referenced in multiple repositories"));
  auto deleted = catalog.Delete(short_id, true);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  ASSERT_EQ(deleted->size(), 3u);
  EXPECT_EQ((*deleted)[0].untagged, "busybox:latest");
  EXPECT_EQ((*deleted)[1].untagged, "other/busybox:x");
  EXPECT_EQ((*deleted)[2].deleted, image.id.str());
  EXPECT_FALSE(HasBlob(image.id));
  EXPECT_FALSE(HasBlob(image.layer_blobs[1]));
  EXPECT_FALSE(HasSnapshot(image.chain_ids[1]));
  EXPECT_TRUE(HasBlob(keeper.layer_blobs[0]));
  EXPECT_TRUE(HasSnapshot(keeper.chain_ids[0]));
}

TEST_P(ImageCatalogTest, DeleteByIdOfOneRepositoryNeedsNoForce) {
  WrittenImage image = Add("docker.io/library/busybox:latest", "bb");
  ImageCatalog catalog = Catalog();
  ASSERT_THAT(catalog.Tag("busybox", "busybox:2").status(), IsOk());
  // Two tags of one repository: Docker's isSingleReference is false, so force is needed.
  EXPECT_THAT(catalog.Delete(image.id.str(), false),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(catalog.Delete("busybox:2", false).status(), IsOk());
  auto deleted = catalog.Delete(image.id.str(), false);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->back().deleted, image.id.str());
}

TEST_P(ImageCatalogTest, InspectAndHistory) {
  TestImage spec;
  spec.layers = {BuildTar({File("bin/tool", std::string(5000, 'x'))}),
                 BuildTar({File("etc/conf", "c")})};
  spec.author = "someone";
  spec.cmd = {"sh"};
  spec.history = {Step("2024-01-01T00:00:00Z", "ADD rootfs /"),
                  Step("2024-01-01T00:00:01Z", "CMD [\"sh\"]", "", true),
                  Step("2024-01-01T00:00:02Z", "COPY conf /etc/conf", "buildkit")};
  WrittenImage image = Add("docker.io/library/tool:1", "", spec);
  ImageCatalog catalog = Catalog();

  auto details = catalog.Inspect("tool:1");
  ASSERT_TRUE(details.ok()) << details.status();
  EXPECT_EQ(details->id, image.id);
  EXPECT_THAT(details->repo_tags, ElementsAre("tool:1"));
  EXPECT_EQ(details->author, "someone");
  EXPECT_EQ(details->comment, "buildkit");
  EXPECT_EQ(details->platform.os, "linux");
  EXPECT_THAT(details->config.cmd, ElementsAre("sh"));
  EXPECT_EQ(details->rootfs_type, "layers");
  EXPECT_EQ(details->layers, image.layer_blobs);
  EXPECT_EQ(details->target.digest, image.target.digest);
  EXPECT_EQ(details->manifest.digest, image.target.digest);
  EXPECT_EQ(details->snapshotter, GetParam());
  EXPECT_TRUE(details->unpacked);
  EXPECT_GE(details->size, 5000);

  auto history = catalog.History("tool:1");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].id, image.id.str());
  EXPECT_THAT((*history)[0].tags, ElementsAre("tool:1"));
  EXPECT_EQ((*history)[0].created_by, "COPY conf /etc/conf");
  EXPECT_EQ((*history)[0].comment, "buildkit");
  EXPECT_GT((*history)[0].size, 0);
  EXPECT_TRUE((*history)[1].empty_layer);
  EXPECT_EQ((*history)[1].size, 0);
  EXPECT_EQ((*history)[1].id, "<missing>");
  EXPECT_GE((*history)[2].size, 5000);
  EXPECT_EQ((*history)[2].created, absl::FromUnixSeconds(1704067200));
}

TEST_P(ImageCatalogTest, NotUnpackedImagesReportCompressedSizes) {
  TestImage spec;
  spec.unpack = false;
  WrittenImage image = Add("docker.io/library/packed:1", "p", spec);
  auto details = Catalog().Inspect("packed:1");
  ASSERT_TRUE(details.ok()) << details.status();
  EXPECT_FALSE(details->unpacked);
  auto layer = root_->content().Info(image.layer_blobs[0]);
  ASSERT_TRUE(layer.ok());
  EXPECT_EQ(details->size, layer->size);
}

TEST_P(ImageCatalogTest, PruneDeletesDanglingImagesThenEveryImageWithAll) {
  TestImage labelled;
  labelled.labels = {{"keep", "yes"}};
  WrittenImage tagged = Add("docker.io/library/busybox:latest", "bb");
  WrittenImage dangling = Add("berth-dangling@sha256:" + std::string(64, 'd'), "dd");
  WrittenImage kept = Add("docker.io/library/alpine:3", "al", labelled);

  int64_t gc_runs = 0;
  ImageRootEvents events;
  events.collected = [&](const GcResult&) { ++gc_runs; };
  root_->SetEvents(events);

  ImageFilters only_dangling;
  auto pruned = Catalog().Prune(only_dangling);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  ASSERT_EQ(pruned->items.size(), 1u);
  EXPECT_EQ(pruned->items[0].deleted, dangling.id.str());
  EXPECT_GT(pruned->reclaimed_bytes, 0);
  EXPECT_FALSE(HasBlob(dangling.layer_blobs[0]));
  EXPECT_TRUE(HasBlob(tagged.layer_blobs[0]));
  EXPECT_EQ(gc_runs, 1);

  ImageFilters all;
  all.dangling = false;
  all.not_labels = {"keep"};
  pruned = Catalog().Prune(all);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  ASSERT_EQ(pruned->items.size(), 2u);
  EXPECT_EQ(pruned->items[0].untagged, "busybox:latest");
  EXPECT_EQ(pruned->items[1].deleted, tagged.id.str());
  EXPECT_FALSE(HasBlob(tagged.layer_blobs[0]));
  EXPECT_TRUE(HasBlob(kept.layer_blobs[0]));

  ImageFilters by_reference;
  by_reference.references = {"busybox"};
  EXPECT_EQ(Catalog().Prune(by_reference).status().code(), absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Drivers, ImageCatalogTest, ::testing::Values("overlayfs", "native"));

}  // namespace
}  // namespace berth::images
