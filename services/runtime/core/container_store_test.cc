// Tests for ContainerStore: create, lookups in Docker's order, rename, transactional
// updates, delete, and everything read back after reopening the database.
#include "services/runtime/core/container_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"
#include "services/runtime/core/container_names.h"

namespace berth::runtime {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

class ContainerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-ctrstore-XXXXXX";
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
  std::unique_ptr<ContainerStore> OpenStore() {
    auto store = ContainerStore::Open(dir_ + "/metadata.db");
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }
  static ContainerRecord Record(std::string id, std::string name) {
    ContainerRecord record;
    record.id = std::move(id);
    record.name = std::move(name);
    record.image = "busybox";
    record.image_id = "sha256:" + std::string(64, 'b');
    return record;
  }
  // A full ID beginning with `prefix`.
  static std::string Id(absl::string_view prefix) {
    return absl::StrCat(prefix, std::string(64 - prefix.size(), '0'));
  }
  ContainerRecord MustCreate(absl::string_view ns, ContainerRecord record) {
    auto created = store_->Create(ns, std::move(record));
    EXPECT_THAT(created, IsOk());
    return created.ok() ? *created : ContainerRecord{};
  }
  static std::string Conflict(absl::string_view name, absl::string_view id) {
    return absl::StrCat("Conflict. The container name \"/", name,
                        "\" is already in use by container \"", id,
                        "\". You have to remove (or rename) that container to be able to reuse "
                        "that name.");
  }

  std::string dir_;
  std::unique_ptr<ContainerStore> store_;
};

TEST_F(ContainerStoreTest, CreateSetsTimesAndGetReturnsTheRecord) {
  ContainerRecord record = Record(Id("abc"), "web");
  record.labels = {{"com.example.tier", "front"}, {"empty", ""}};
  record.spec = std::string("\x0a\x00\xff spec", 8);
  record.restart_policy = {RestartPolicyName::kOnFailure, 3};
  const absl::Time before = absl::Now();
  ContainerRecord created = MustCreate("default", record);
  EXPECT_GE(created.created, before);
  EXPECT_LE(created.created, absl::Now());
  EXPECT_EQ(created.created, created.updated);
  EXPECT_EQ(created.state.status, ContainerStatus::kCreated);
  EXPECT_THAT(store_->Get("default", record.id), IsOkAndHolds(created));
  EXPECT_EQ(created.spec, record.spec);
  EXPECT_THAT(created.labels, ElementsAre(Pair("com.example.tier", "front"), Pair("empty", "")));
  EXPECT_THAT(store_->Get("other", record.id),
              StatusIs(absl::StatusCode::kNotFound, "No such container: " + record.id));
}

TEST_F(ContainerStoreTest, CreateFillsInIdAndNameAndDropsLeadingSlash) {
  ContainerRecord generated = MustCreate("default", Record("", ""));
  EXPECT_TRUE(IsContainerId(generated.id)) << generated.id;
  EXPECT_THAT(ValidateContainerName(generated.name), IsOk());
  ContainerRecord slashed = MustCreate("default", Record("", "/db"));
  EXPECT_EQ(slashed.name, "db");
  EXPECT_THAT(store_->Get("default", slashed.id),
              IsOkAndHolds(Field(&ContainerRecord::name, "db")));
}

TEST_F(ContainerStoreTest, CreateRejectsBadInput) {
  EXPECT_THAT(store_->Create("default", Record("", "bad name")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                       "allowed"));
  EXPECT_THAT(store_->Create("default", Record("ABC", "x1")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid container ID")));
  EXPECT_THAT(store_->Create("no spaces", Record("", "x1")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid namespace")));
  ContainerRecord bad_policy = Record("", "x1");
  bad_policy.restart_policy = {RestartPolicyName::kAlways, 2};
  EXPECT_THAT(store_->Create("default", bad_policy),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only be used with")));
  EXPECT_THAT(store_->List("default"), IsOkAndHolds(IsEmpty()));
}

TEST_F(ContainerStoreTest, NameConflictsInANamespaceButNotAcrossThem) {
  ContainerRecord first = MustCreate("default", Record(Id("a1"), "web"));
  EXPECT_THAT(store_->Create("default", Record(Id("a2"), "web")),
              StatusIs(absl::StatusCode::kAlreadyExists, Conflict("web", first.id)));
  EXPECT_THAT(store_->Create("default", Record(Id("a2"), "/web")),
              StatusIs(absl::StatusCode::kAlreadyExists, Conflict("web", first.id)));
  MustCreate("k8s.io", Record(Id("a2"), "web"));
  // IDs are unique across namespaces: a container's directories are named by ID alone.
  EXPECT_THAT(store_->Create("k8s.io", Record(first.id, "other")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->ListNamespaces(), IsOkAndHolds(ElementsAre("default", "k8s.io")));
}

TEST_F(ContainerStoreTest, ListIsNewestFirstPerNamespace) {
  MustCreate("default", Record(Id("01"), "one"));
  MustCreate("default", Record(Id("02"), "two"));
  MustCreate("other", Record(Id("03"), "elsewhere"));
  MustCreate("default", Record(Id("04"), "three"));
  EXPECT_THAT(store_->List("default"),
              IsOkAndHolds(ElementsAre(Field(&ContainerRecord::name, "three"),
                                       Field(&ContainerRecord::name, "two"),
                                       Field(&ContainerRecord::name, "one"))));
  EXPECT_THAT(store_->List("empty"), IsOkAndHolds(IsEmpty()));
}

TEST_F(ContainerStoreTest, ResolveInDockersOrder) {
  ContainerRecord web = MustCreate("default", Record(Id("abc1"), "web"));
  ContainerRecord other = MustCreate("default", Record(Id("abc2"), "other"));
  // A name that is another container's ID prefix: the name wins over the prefix.
  ContainerRecord named_like_id = MustCreate("default", Record(Id("fed"), "abc1"));
  // A name that is another container's full ID: the ID wins over the name.
  ContainerRecord named_full_id = MustCreate("default", Record(Id("99"), web.id));

  EXPECT_THAT(store_->Resolve("default", web.id), IsOkAndHolds(web));
  EXPECT_THAT(store_->Resolve("default", "web"), IsOkAndHolds(web));
  EXPECT_THAT(store_->Resolve("default", "/web"), IsOkAndHolds(web));
  EXPECT_THAT(store_->Resolve("default", "abc2"), IsOkAndHolds(other));
  EXPECT_THAT(store_->Resolve("default", "abc1"), IsOkAndHolds(named_like_id));
  EXPECT_THAT(store_->Resolve("default", "fe"), IsOkAndHolds(named_like_id));
  EXPECT_THAT(store_->Resolve("default", "/" + web.id), IsOkAndHolds(named_full_id));
  EXPECT_THAT(
      store_->Resolve("default", "abc"),
      StatusIs(absl::StatusCode::kInvalidArgument, "multiple IDs found with provided prefix: abc"));
  EXPECT_THAT(store_->Resolve("default", "nothere"),
              StatusIs(absl::StatusCode::kNotFound, "No such container: nothere"));
  EXPECT_THAT(store_->Resolve("default", "777"),
              StatusIs(absl::StatusCode::kNotFound, "No such container: 777"));
  EXPECT_THAT(store_->Resolve("other", "web"),
              StatusIs(absl::StatusCode::kNotFound, "No such container: web"));
  EXPECT_THAT(store_->Resolve("other", web.id),
              StatusIs(absl::StatusCode::kNotFound, "No such container: " + web.id));
  EXPECT_THAT(store_->Resolve("default", ""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ContainerStoreTest, Rename) {
  ContainerRecord web = MustCreate("default", Record(Id("a1"), "web"));
  ContainerRecord db = MustCreate("default", Record(Id("a2"), "db"));
  EXPECT_THAT(store_->Rename("default", web.id, "db"),
              StatusIs(absl::StatusCode::kAlreadyExists, Conflict("db", db.id)));
  EXPECT_THAT(store_->Rename("default", web.id, "web"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Renaming a container with the same name as its current name"));
  EXPECT_THAT(store_->Rename("default", web.id, "bad/name"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Invalid container name")));
  EXPECT_THAT(store_->Rename("default", Id("ff"), "x1"),
              StatusIs(absl::StatusCode::kNotFound, "No such container: " + Id("ff")));
  BERTH_ASSERT_OK(store_->Rename("default", web.id, "/frontend"));
  auto renamed = store_->Get("default", web.id);
  ASSERT_THAT(renamed, IsOk());
  EXPECT_EQ(renamed->name, "frontend");
  EXPECT_EQ(renamed->created, web.created);
  EXPECT_GE(renamed->updated, web.updated);
  EXPECT_THAT(store_->Resolve("default", "web"), StatusIs(absl::StatusCode::kNotFound));
  // The old name is free again.
  MustCreate("default", Record(Id("a3"), "web"));
}

TEST_F(ContainerStoreTest, UpdateWritesTheMutatedRecord) {
  ContainerRecord web = MustCreate("default", Record(Id("a1"), "web"));
  auto updated = store_->Update("default", web.id, [](ContainerRecord& r) {
    r.labels["added"] = "yes";
    r.restart_policy = {RestartPolicyName::kUnlessStopped, 0};
    r.shim_socket = "/run/berth/runtime/s/a1.sock";
    r.state.status = ContainerStatus::kRunning;
    r.state.pid = 4242;
    return absl::OkStatus();
  });
  ASSERT_THAT(updated, IsOk());
  EXPECT_GE(updated->updated, web.updated);
  EXPECT_EQ(updated->created, web.created);
  EXPECT_THAT(store_->Get("default", web.id), IsOkAndHolds(*updated));
  EXPECT_THAT(updated->labels, ElementsAre(Pair("added", "yes")));

  ContainerState exited = updated->state;
  exited.status = ContainerStatus::kExited;
  exited.pid = 0;
  exited.exit_code = 137;
  exited.oom_killed = true;
  auto after = store_->UpdateState("default", web.id, exited);
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->state, exited);
  EXPECT_EQ(after->shim_socket, "/run/berth/runtime/s/a1.sock");
  EXPECT_THAT(store_->Get("default", web.id), IsOkAndHolds(Field(&ContainerRecord::state, exited)));
}

TEST_F(ContainerStoreTest, FailedUpdateChangesNothing) {
  ContainerRecord web = MustCreate("default", Record(Id("a1"), "web"));
  auto fail_after_mutating = [](ContainerRecord& r) {
    r.labels["half"] = "done";
    r.state.status = ContainerStatus::kDead;
    return absl::FailedPreconditionError("changed my mind");
  };
  EXPECT_THAT(store_->Update("default", web.id, fail_after_mutating),
              StatusIs(absl::StatusCode::kFailedPrecondition, "changed my mind"));
  EXPECT_THAT(store_->Update("default", web.id,
                             [](ContainerRecord& r) {
                               r.name = "sneaky";
                               return absl::OkStatus();
                             }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Rename")));
  EXPECT_THAT(store_->Update("default", web.id,
                             [](ContainerRecord& r) {
                               r.id = Id("b");
                               return absl::OkStatus();
                             }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Update("default", web.id,
                             [](ContainerRecord& r) {
                               r.created += absl::Seconds(1);
                               return absl::OkStatus();
                             }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Update("default", web.id,
                             [](ContainerRecord& r) {
                               r.restart_policy = {RestartPolicyName::kNo, 5};
                               return absl::OkStatus();
                             }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Get("default", web.id), IsOkAndHolds(web));
  EXPECT_THAT(store_->Update("default", Id("ff"), fail_after_mutating),
              StatusIs(absl::StatusCode::kNotFound, "No such container: " + Id("ff")));
}

TEST_F(ContainerStoreTest, Delete) {
  ContainerRecord web = MustCreate("default", Record(Id("a1"), "web"));
  web.labels = {{"k", "v"}};
  EXPECT_THAT(store_->Delete("other", web.id), StatusIs(absl::StatusCode::kNotFound));
  BERTH_EXPECT_OK(store_->Delete("default", web.id));
  EXPECT_THAT(store_->Delete("default", web.id),
              StatusIs(absl::StatusCode::kNotFound, "No such container: " + web.id));
  EXPECT_THAT(store_->Get("default", web.id), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->List("default"), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(store_->ListNamespaces(), IsOkAndHolds(IsEmpty()));
  // The name and the ID can be used again.
  MustCreate("default", Record(web.id, "web"));
}

TEST_F(ContainerStoreTest, EverythingSurvivesReopen) {
  ContainerRecord record = Record(Id("c0ffee"), "persisted");
  record.image = "docker.io/library/busybox:latest";
  record.snapshotter = "overlayfs";
  record.snapshot_key = "default/7/" + record.id;
  record.labels = {{"a", "1"}, {"b", "two words"}, {"unicode", "\xc3\xa9t\xc3\xa9"}};
  record.restart_policy = {RestartPolicyName::kOnFailure, 7};
  record.spec = std::string("\0\1\2 opaque \xff\xfe", 14);
  record.bundle_dir = "/var/lib/berth/runtime/containers/" + record.id;
  record.shim_socket = "/run/berth/runtime/shims/c0ffee.sock";
  ContainerRecord created = MustCreate("k8s.io", record);

  ContainerState state;
  state.status = ContainerStatus::kExited;
  state.exit_code = 3;
  state.oom_killed = true;
  state.error = "exec: \"nope\": executable file not found in $PATH";
  state.started_at = absl::FromUnixNanos(1700000000123456789);
  state.finished_at = absl::FromUnixNanos(1700000042987654321);
  state.restart_count = 4;
  state.stopped_by_user = true;
  auto updated = store_->UpdateState("k8s.io", created.id, state);
  ASSERT_THAT(updated, IsOk());
  ContainerRecord never_started = MustCreate("default", Record(Id("d0"), "fresh"));

  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  auto got = store_->Get("k8s.io", created.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, *updated);
  EXPECT_EQ(got->state.started_at, absl::FromUnixNanos(1700000000123456789));
  EXPECT_EQ(got->state.finished_at, absl::FromUnixNanos(1700000042987654321));
  EXPECT_EQ(got->created, created.created);
  EXPECT_EQ(got->spec, record.spec);
  EXPECT_EQ(got->labels, record.labels);
  EXPECT_EQ(got->restart_policy, record.restart_policy);
  auto fresh = store_->Get("default", never_started.id);
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->state.started_at, absl::InfinitePast());
  EXPECT_EQ(fresh->state.finished_at, absl::InfinitePast());
  EXPECT_EQ(*fresh, never_started);
  EXPECT_THAT(store_->ListNamespaces(), IsOkAndHolds(ElementsAre("default", "k8s.io")));
}

TEST_F(ContainerStoreTest, HealthIsKeptThroughStateUpdatesAndReopen) {
  ContainerRecord web = MustCreate("default", Record(Id("e1"), "checked"));
  EXPECT_EQ(web.health, "");
  const std::string health("\x08\x02\x10\x00 opaque \xff", 13);
  ASSERT_THAT(store_->Update("default", web.id,
                             [&](ContainerRecord& r) {
                               r.health = health;
                               return absl::OkStatus();
                             }),
              IsOk());
  ContainerState running;
  running.status = ContainerStatus::kRunning;
  running.pid = 77;
  ASSERT_THAT(store_->UpdateState("default", web.id, running), IsOk());

  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  auto got = store_->Get("default", web.id);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->health, health);
  EXPECT_EQ(got->state, running);
  auto listed = store_->List("default");
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].health, health);
}

TEST_F(ContainerStoreTest, ConcurrentCreatesGetDistinctIdsAndNames) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < 25; ++i)
        BERTH_EXPECT_OK(store_->Create("default", Record("", "")).status());
    });
  }
  for (std::thread& thread : threads) thread.join();
  auto all = store_->List("default");
  ASSERT_THAT(all, IsOk());
  std::set<std::string> ids, names;
  for (const ContainerRecord& r : *all) {
    ids.insert(r.id);
    names.insert(r.name);
  }
  EXPECT_EQ(all->size(), 100u);
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(names.size(), 100u);
}

}  // namespace
}  // namespace berth::runtime
