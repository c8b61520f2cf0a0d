// Load, save and import against a real ImageRoot, with archives made by
// tests/images/make_busybox_image.py; skopeo and containerd check what save writes.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "common/status_matchers.h"
#include "common/unique_fd.h"
#include "services/images/core/image_archive_import.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/image_archive_save.h"
#include "services/images/core/image_root.h"
#include "services/images/core/layer_test_support.h"
#include "services/images/core/resolved_image.h"
#include "tests/harness/subprocess.h"

namespace berth::images {
namespace {

using ::berth::testing::RunCommand;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace ::berth::images::testing;

const std::string kScript = std::string(BERTH_SOURCE_DIR) + "/tests/images/make_busybox_image.py";
const Platform kAmd64 = *ParsePlatform("linux/amd64");

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool HaveProgram(const std::string& name) {
  return RunCommand({"/bin/sh", "-c", "command -v " + name}).exit_code == 0;
}

class ImageArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageRootOptions options;
    options.root_dir = dir_ / "images";
    options.storage_driver = "native";
    auto root = ImageRoot::Open(options);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
  }

  // Runs the fixture script; returns the output path.
  std::string MakeImage(const std::string& format, const std::vector<std::string>& extra = {}) {
    std::string out = dir_ / ("fixture-" + format + std::to_string(fixtures_++) + ".tar");
    std::vector<std::string> argv = {"/usr/bin/env", "python3", kScript, "--format",
                                     format,         "-o",      out};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto run = RunCommand(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return out;
  }

  // Rewrites a tar with a python snippet that sees `tar_in`, `tar_out` and `tarfile`.
  std::string Rewrite(const std::string& in, const std::string& body) {
    std::string out = in + ".rewritten" + std::to_string(fixtures_++);
    std::string program =
        "import io, json, sys, tarfile\n"
        "tar_in = tarfile.open(sys.argv[1])\n"
        "tar_out = tarfile.open(sys.argv[2], 'w')\n" +
        body + "\ntar_out.close()\n";
    auto run = RunCommand({"/usr/bin/env", "python3", "-c", program, in, out});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return out;
  }

  absl::StatusOr<std::vector<LoadedImage>> Load(const std::string& path,
                                                const std::string& ns = "default") {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd.valid()) << path;
    return LoadImages(*root_, ns, fd.get(), {.platform = kAmd64});
  }

  absl::Status Save(const std::vector<std::string>& names, const std::string& path,
                    SaveFormat format, const std::string& ns = "default") {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    EXPECT_TRUE(fd.valid()) << path;
    return SaveImages(*root_, ns, names, fd.get(), {.format = format, .platform = kAmd64});
  }

  ResolvedImage Resolve(const std::string& ns, const std::string& name) {
    auto record = root_->metadata().GetImage(ns, name);
    EXPECT_TRUE(record.ok()) << record.status();
    if (!record.ok()) return {};
    auto resolved = ResolveImage(root_->content(), record->target, kAmd64);
    EXPECT_TRUE(resolved.ok()) << resolved.status();
    return resolved.ok() ? *resolved : ResolvedImage{};
  }

  // Whether the image's top snapshot, viewed, holds `path`.
  bool SnapshotHas(const std::string& ns, const std::string& name, const std::string& path) {
    ResolvedImage image = Resolve(ns, name);
    if (image.chain_ids.empty()) return false;
    NamespacedSnapshotter snapshots = root_->SnapshotsOf(ns);
    auto mounts = snapshots.View("check-view", image.top_chain_id().str(), {});
    EXPECT_TRUE(mounts.ok()) << mounts.status();
    if (!mounts.ok()) return false;
    bool found = !mounts->empty() && Exists((*mounts)[0].source + "/" + path);
    EXPECT_TRUE(snapshots.Remove("check-view").ok());
    return found;
  }

  std::set<std::string> Blobs() {
    std::set<std::string> out;
    absl::StatusOr<std::vector<ContentInfo>> list = root_->content().List();
    EXPECT_TRUE(list.ok()) << list.status();
    if (!list.ok()) return out;
    for (const ContentInfo& info : *list) out.insert(info.digest.str());
    return out;
  }

  TempDir dir_{"archive"};
  std::unique_ptr<ImageRoot> root_;
  int fixtures_ = 0;
};

TEST_F(ImageArchiveTest, LoadsDocker25Archive) {
  auto loaded = Load(MakeImage("docker-archive"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].reference, "docker.io/library/busybox:latest");
  ResolvedImage image = Resolve("default", "docker.io/library/busybox:latest");
  EXPECT_EQ((*loaded)[0].image_id, image.id());
  EXPECT_EQ(image.manifest.media_type, media_type::kDockerManifest);
  EXPECT_THAT(image.config.config.cmd, ElementsAre("sh"));
  EXPECT_TRUE(SnapshotHas("default", "docker.io/library/busybox:latest", "bin/busybox"));
  EXPECT_TRUE(SnapshotHas("default", "docker.io/library/busybox:latest", "bin/sh"));
  // The labels reach everything: a collection keeps it all.
  auto gc = root_->CollectGarbage();
  ASSERT_TRUE(gc.ok()) << gc.status();
  EXPECT_EQ(gc->removed_blobs, 0);
  EXPECT_EQ(gc->removed_snapshots, 0);
  EXPECT_TRUE(SnapshotHas("default", "docker.io/library/busybox:latest", "bin/busybox"));
  EXPECT_THAT(*root_->metadata().ListLeases("default"), IsEmpty());
}

TEST_F(ImageArchiveTest, LoadsLegacyDockerAndOciArchivesToTheSameImageId) {
  auto docker = Load(MakeImage("docker-archive-legacy", {"--gzip", "--name", "old:1"}));
  ASSERT_TRUE(docker.ok()) << docker.status();
  auto oci = Load(MakeImage("oci-archive", {"--gzip", "--name", "registry.test/x/bb:2"}));
  ASSERT_TRUE(oci.ok()) << oci.status();
  auto plain = Load(MakeImage("oci-archive"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_EQ(docker->size(), 1u);
  ASSERT_EQ(oci->size(), 1u);
  EXPECT_EQ((*docker)[0].reference, "docker.io/library/old:1");
  EXPECT_EQ((*oci)[0].reference, "registry.test/x/bb:2");
  EXPECT_EQ((*docker)[0].image_id, (*oci)[0].image_id);
  EXPECT_EQ((*plain)[0].image_id, (*oci)[0].image_id);
  EXPECT_TRUE(SnapshotHas("default", "registry.test/x/bb:2", "etc/passwd"));
  EXPECT_EQ(root_->metadata().ListImages("default")->size(), 3u);
  EXPECT_THAT(*root_->metadata().ListImages("other"), IsEmpty());
}

TEST_F(ImageArchiveTest, SaveThenLoadGivesTheSameImage) {
  ASSERT_TRUE(Load(MakeImage("oci-archive", {"--gzip"})).ok());
  ASSERT_TRUE(Load(MakeImage("docker-archive", {"--name", "second:tag"})).ok());
  const std::vector<std::string> names = {"busybox", "second:tag"};
  const Digest id = Resolve("default", "docker.io/library/busybox:latest").id();
  int n = 0;
  for (SaveFormat format : {SaveFormat::kDocker, SaveFormat::kOci, SaveFormat::kDockerAndOci}) {
    SCOPED_TRACE(n);
    std::string saved = dir_ / ("saved" + std::to_string(n) + ".tar");
    BERTH_ASSERT_OK(Save(names, saved, format));
    const std::string ns = "round-trip-" + std::to_string(n++);
    auto loaded = Load(saved, ns);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_EQ(loaded->size(), 2u);
    for (const LoadedImage& image : *loaded) EXPECT_EQ(image.image_id, id);
    EXPECT_EQ(Resolve(ns, "docker.io/library/second:tag").id(), id);
    EXPECT_TRUE(SnapshotHas(ns, "docker.io/library/busybox:latest", "bin/busybox"));
  }
  EXPECT_THAT(Save({"nope:1"}, dir_ / "nope.tar", SaveFormat::kDocker),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("No such image: nope:1")));
}

TEST_F(ImageArchiveTest, SkopeoReadsWhatSaveWrites) {
  if (!HaveProgram("skopeo")) GTEST_SKIP() << "skopeo is not installed";
  ASSERT_TRUE(Load(MakeImage("oci-archive", {"--gzip"})).ok());
  std::string docker = dir_ / "docker.tar", oci = dir_ / "oci.tar", both = dir_ / "both.tar";
  BERTH_ASSERT_OK(Save({"busybox:latest"}, docker, SaveFormat::kDocker));
  BERTH_ASSERT_OK(Save({"busybox:latest"}, oci, SaveFormat::kOci));
  BERTH_ASSERT_OK(Save({"busybox:latest"}, both, SaveFormat::kDockerAndOci));
  const std::string policy = dir_ / "policy.json";
  WriteFile(policy, R"({"default":[{"type":"insecureAcceptAnything"}]})");
  int n = 0;
  for (const std::string& source : {"docker-archive:" + docker, "oci-archive:" + oci,
                                    "docker-archive:" + both, "oci-archive:" + both}) {
    SCOPED_TRACE(source);
    std::string dest = dir_ / ("skopeo-out" + std::to_string(n++));
    auto run = RunCommand(
        {"/usr/bin/env", "skopeo", "--policy", policy, "copy", source, "oci:" + dest + ":x"}, {},
        std::chrono::seconds(120));
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  }
}

// containerd (Debian's) with its own root, state and socket imports what save writes.
TEST_F(ImageArchiveTest, ContainerdImportsWhatSaveWrites) {
  if (!HaveProgram("containerd") || !HaveProgram("ctr")) GTEST_SKIP() << "no containerd";
  if (::geteuid() != 0) GTEST_SKIP() << "containerd needs root";
  ASSERT_TRUE(Load(MakeImage("oci-archive", {"--gzip"})).ok());
  std::string docker = dir_ / "docker.tar", oci = dir_ / "oci.tar";
  BERTH_ASSERT_OK(Save({"busybox:latest"}, docker, SaveFormat::kDocker));
  BERTH_ASSERT_OK(Save({"busybox:latest"}, oci, SaveFormat::kOci));

  const std::string work = dir_ / "containerd", sock = work + "/c.sock";
  WriteFile(work + "/config.toml",
            "version = 2\nroot = \"" + work + "/root\"\nstate = \"" + work +
                "/state\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n"
                "  address = \"" +
                sock + "\"\n[ttrpc]\n  address = \"" + sock + ".ttrpc\"\n");
  pid_t pid = ::berth::testing::Spawn(
      {"/usr/bin/env", "containerd", "--config", work + "/config.toml"}, work + "/log");
  auto ctr = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/env", "ctr", "-a", sock, "-n", "berth-archive-test"});
    return RunCommand(args, {}, std::chrono::seconds(120));
  };
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {  // polls for readiness; no timing is asserted
    up = Exists(sock) && ctr({"version"}).exit_code == 0;
    if (!up) ::usleep(100 * 1000);
  }
  if (up) {
    auto docker_import = ctr({"images", "import", "--no-unpack", docker});
    EXPECT_EQ(docker_import.exit_code, 0) << docker_import.out << docker_import.err;
    auto oci_import = ctr({"images", "import", "--no-unpack", "--index-name", "oci:x", oci});
    EXPECT_EQ(oci_import.exit_code, 0) << oci_import.out << oci_import.err;
    auto list = ctr({"images", "ls", "-q"});
    EXPECT_THAT(list.out, HasSubstr("docker.io/library/busybox:latest"));
  }
  ::berth::testing::StopProcess(pid, SIGTERM);
  RunCommand({"/bin/sh", "-c",
              "grep ' " + work +
                  "' /proc/self/mounts | cut -d' ' -f2 | "
                  "sort -r | xargs -r -n1 umount -l"});
  ASSERT_TRUE(up) << "containerd did not start";
}

TEST_F(ImageArchiveTest, ImportMakesAOneLayerImageWithTheChanges) {
  std::string tar = BuildTar({Dir("bin"), File("bin/hello", "#!/bin/sh\necho hi\n", 0755),
                              Dir("etc"), File("etc/motd", "imported\n")},
                             Compression::kGzip);
  std::string path = dir_ / "rootfs.tar.gz";
  WriteFile(path, tar);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  auto imported = ImportRootfs(*root_, "default", fd.get(),
                               {.reference = "imported:v1",
                                .changes = {R"(CMD ["sh"])", "ENV A=b", "WORKDIR /srv"},
                                .message = "from a test",
                                .platform = kAmd64});
  ASSERT_TRUE(imported.ok()) << imported.status();
  ASSERT_TRUE(imported->record.has_value());
  EXPECT_EQ(imported->record->name, "docker.io/library/imported:v1");
  ResolvedImage image = Resolve("default", "docker.io/library/imported:v1");
  EXPECT_EQ(image.id(), imported->image_id);
  EXPECT_THAT(image.config.config.cmd, ElementsAre("sh"));
  EXPECT_THAT(image.config.config.env, ElementsAre("A=b"));
  EXPECT_EQ(image.config.config.working_dir, "/srv");
  EXPECT_EQ(image.config.architecture, "amd64");
  ASSERT_EQ(image.config.history.size(), 1u);
  EXPECT_EQ(image.config.history[0].comment, "from a test");
  ASSERT_EQ(image.manifest.layers.size(), 1u);
  // Stored uncompressed: the layer's digest is its diff ID.
  EXPECT_EQ(image.manifest.layers[0].digest, image.config.diff_ids[0]);
  EXPECT_TRUE(SnapshotHas("default", "docker.io/library/imported:v1", "etc/motd"));

  std::string junk = dir_ / "junk";
  WriteFile(junk, std::string(4096, 'x'));
  UniqueFd junk_fd(::open(junk.c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_THAT(ImportRootfs(*root_, "default", junk_fd.get(), {.reference = "junk:1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a tar")));
  EXPECT_THAT(ImportRootfs(*root_, "default", junk_fd.get(), {.changes = {"RUN x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("RUN")));
  EXPECT_THAT(*root_->content().Statuses(), IsEmpty());
}

TEST_F(ImageArchiveTest, HostileArchivesChangeNothing) {
  const std::string docker = MakeImage("docker-archive");
  const std::string legacy = MakeImage("docker-archive-legacy");
  const std::string oci = MakeImage("oci-archive");
  const std::string junk = dir_ / "junk";
  WriteFile(junk, std::string(10000, 'j'));
  const std::string copy_all =
      "for m in tar_in.getmembers():\n"
      "  tar_out.addfile(m, tar_in.extractfile(m) if m.isfile() else None)\n";
  struct Case {
    std::string what;
    std::string archive;
    std::string error;
  } cases[] = {
      {"not a tar", junk, "not a tar"},
      {"dot-dot name",
       Rewrite(docker, copy_all + "i = tarfile.TarInfo('../evil'); i.size = 1\n"
                                  "tar_out.addfile(i, io.BytesIO(b'x'))\n"),
       "not a plain relative path"},
      {"absolute name",
       Rewrite(oci, copy_all + "i = tarfile.TarInfo('/etc/evil'); i.size = 1\n"
                               "tar_out.addfile(i, io.BytesIO(b'x'))\n"),
       "absolute"},
      {"stray name",
       Rewrite(oci, copy_all + "i = tarfile.TarInfo('bin/sh'); i.size = 1\n"
                               "tar_out.addfile(i, io.BytesIO(b'x'))\n"),
       "does not belong"},
      {"escaping layer link",
       Rewrite(legacy, copy_all + "i = tarfile.TarInfo('" + std::string(64, 'a') +
                           "/layer.tar'); i.type = tarfile.SYMTYPE; i.linkname = '/etc/passwd'\n"
                           "tar_out.addfile(i)\n"),
       "links outside"},
      {"no manifest",
       Rewrite(docker,
               "for m in tar_in.getmembers():\n"
               "  if m.name != 'manifest.json':\n"
               "    tar_out.addfile(m, tar_in.extractfile(m) if m.isfile() else None)\n"),
       "neither manifest.json"},
      {"missing layer blob (docker)",
       Rewrite(docker,
               "man = json.load(tar_in.extractfile('manifest.json'))\n"
               "for m in tar_in.getmembers():\n"
               "  if m.isfile() and m.name == man[0]['Layers'][0]: continue\n"
               "  tar_out.addfile(m, tar_in.extractfile(m) if m.isfile() else None)\n"),
       "is named but not in the archive"},
      {"missing layer blob (oci)",
       Rewrite(oci,
               "for m in tar_in.getmembers():\n"
               "  if m.isfile() and m.size > 100000: continue\n"
               "  tar_out.addfile(m, tar_in.extractfile(m) if m.isfile() else None)\n"),
       "is named but not in it"},
      {"flipped byte",
       Rewrite(oci,
               "for m in tar_in.getmembers():\n"
               "  data = tar_in.extractfile(m).read() if m.isfile() else None\n"
               "  if data and m.size > 100000:\n"
               "    data = bytearray(data); data[m.size // 2] ^= 1; data = bytes(data)\n"
               "  tar_out.addfile(m, io.BytesIO(data) if data is not None else None)\n"),
       "not the one it is named by"},
  };
  const std::set<std::string> blobs_before = Blobs();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto loaded = Load(c.archive);
    EXPECT_FALSE(loaded.ok());
    EXPECT_THAT(loaded.status().message(), HasSubstr(c.error)) << loaded.status();
    EXPECT_EQ(Blobs(), blobs_before);
    EXPECT_THAT(*root_->metadata().ListImages("default"), IsEmpty());
    EXPECT_THAT(*root_->content().Statuses(), IsEmpty());
    EXPECT_THAT(*root_->metadata().ListLeases("default"), IsEmpty());
  }
  EXPECT_FALSE(Exists(dir_ / "evil"));
}

}  // namespace
}  // namespace berth::images
