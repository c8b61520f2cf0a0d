// The Content and Leases services through a real gRPC server on a unix socket: chunked,
// resumable writes under a lease, reads by range, labels, filters, namespaces kept apart,
// and what garbage collection does once a lease is gone.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/rpc/namespace.h"
#include "services/images/grpc/content_service.h"
#include "services/images/grpc/leases_service.h"

namespace berth::images {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// Bytes that differ at every offset, so a misplaced chunk shows.
std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return out;
}

v1::WriteContentRequest Message(v1::WriteAction action, int64_t offset, std::string data = "") {
  v1::WriteContentRequest request;
  request.set_action(action);
  request.set_offset(offset);
  request.set_data(std::move(data));
  return request;
}

class ContentLeasesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-content-rpcs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ImageRootOptions options;
    options.root_dir = dir_ + "/images";
    options.storage_driver = "native";
    auto root = ImageRoot::Open(options);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
    content_service_ = std::make_unique<ContentService>(root_);
    leases_service_ = std::make_unique<LeasesService>(root_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + dir_ + "/s.sock", grpc::InsecureServerCredentials());
    builder.RegisterService(content_service_.get());
    builder.RegisterService(leases_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto channel =
        grpc::CreateChannel("unix:" + dir_ + "/s.sock", grpc::InsecureChannelCredentials());
    content_ = v1::Content::NewStub(channel);
    leases_ = v1::Leases::NewStub(channel);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    root_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<grpc::ClientContext> Call(const std::string& ns = "alpha",
                                            const std::string& lease = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    rpc::SetNamespace(*context, ns);
    if (!lease.empty()) rpc::SetLease(*context, lease);
    return context;
  }

  // Sends `messages` on one Write stream; returns the answers and the final status.
  struct WriteResult {
    std::vector<v1::WriteContentResponse> responses;
    grpc::Status status;
  };
  WriteResult Write(const std::vector<v1::WriteContentRequest>& messages,
                    const std::string& ns = "alpha", const std::string& lease = "") {
    auto context = Call(ns, lease);
    auto stream = content_->Write(context.get());
    WriteResult result;
    for (const v1::WriteContentRequest& message : messages) {
      if (!stream->Write(message)) break;
      v1::WriteContentResponse response;
      if (!stream->Read(&response)) break;
      result.responses.push_back(response);
    }
    stream->WritesDone();
    result.status = stream->Finish();
    return result;
  }

  // Writes `data` whole under `ref` in 1 MiB chunks and commits it.
  WriteResult WriteBlob(const std::string& ref, const std::string& data,
                        const std::string& ns = "alpha", const std::string& lease = "") {
    std::vector<v1::WriteContentRequest> messages;
    for (size_t at = 0; at < data.size(); at += 1 << 20) {
      messages.push_back(Message(v1::WRITE_ACTION_WRITE, at, data.substr(at, 1 << 20)));
    }
    messages.push_back(Message(v1::WRITE_ACTION_COMMIT, data.size()));
    messages.front().set_ref(ref);
    messages.back().set_total(data.size());
    messages.back().set_expected(Digest::Of(data).str());
    return Write(messages, ns, lease);
  }

  grpc::Status Info(const std::string& digest, v1::ContentInfo* info,
                    const std::string& ns = "alpha") {
    v1::ContentInfoRequest request;
    request.set_digest(digest);
    v1::ContentInfoResponse response;
    grpc::Status status = content_->Info(Call(ns).get(), request, &response);
    *info = response.info();
    return status;
  }

  std::string Read(const std::string& digest, int64_t offset, int64_t size, grpc::Status* status) {
    v1::ReadContentRequest request;
    request.set_digest(digest);
    request.set_offset(offset);
    request.set_size(size);
    auto context = Call();
    auto reader = content_->Read(context.get(), request);
    std::string out;
    v1::ReadContentResponse chunk;
    while (reader->Read(&chunk)) {
      EXPECT_EQ(chunk.offset(), offset + static_cast<int64_t>(out.size()));
      EXPECT_LE(chunk.data().size(), 1u << 20);
      out += chunk.data();
    }
    *status = reader->Finish();
    return out;
  }

  std::vector<std::string> ListDigests(
      const std::vector<std::pair<std::string, std::string>>& filters) {
    v1::ListContentRequest request;
    for (const auto& [key, value] : filters) {
      types::v1::Filter* filter = request.add_filters();
      filter->set_key(key);
      filter->add_values(value);
    }
    auto context = Call();
    auto reader = content_->List(context.get(), request);
    std::vector<std::string> out;
    v1::ListContentResponse batch;
    while (reader->Read(&batch)) {
      for (const v1::ContentInfo& info : batch.info()) out.push_back(info.digest());
    }
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  }

  std::string CreateLease(const std::string& id) {
    v1::CreateLeaseRequest request;
    request.set_id(id);
    (*request.mutable_labels())["purpose"] = "test";
    v1::CreateLeaseResponse response;
    grpc::Status status = leases_->Create(Call().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.lease().id();
  }

  std::string dir_;
  std::shared_ptr<ImageRoot> root_;
  std::unique_ptr<ContentService> content_service_;
  std::unique_ptr<LeasesService> leases_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Content::Stub> content_;
  std::unique_ptr<v1::Leases::Stub> leases_;
};

TEST_F(ContentLeasesServiceTest, WritesUnderALeaseThenReadsLabelsListsAndCollects) {
  const std::string lease = CreateLease("pull-1");
  const std::string data = Pattern(2 * (1 << 20) + 12345);
  const std::string digest = Digest::Of(data).str();

  WriteResult written = WriteBlob("layer-1", data, "alpha", lease);
  ASSERT_TRUE(written.status.ok()) << written.status.error_message();
  ASSERT_EQ(written.responses.size(), 4u);
  EXPECT_EQ(written.responses[1].offset(), 2 << 20);
  EXPECT_EQ(written.responses.back().action(), v1::WRITE_ACTION_COMMIT);
  EXPECT_EQ(written.responses.back().digest(), digest);
  EXPECT_EQ(written.responses.back().offset(), static_cast<int64_t>(data.size()));

  v1::ContentInfo info;
  ASSERT_TRUE(Info(digest, &info).ok());
  EXPECT_EQ(info.size(), static_cast<int64_t>(data.size()));
  EXPECT_TRUE(info.has_created_at());

  grpc::Status status;
  EXPECT_EQ(Read(digest, 0, 0, &status), data);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Read(digest, (1 << 20) - 10, 30, &status), data.substr((1 << 20) - 10, 30));
  Read(digest, data.size() + 1, 0, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);

  // The lease holds the blob; the ingest it held while open is gone with the commit.
  v1::ListLeaseResourcesRequest resources_request;
  resources_request.set_lease_id(lease);
  v1::ListLeaseResourcesResponse resources;
  ASSERT_TRUE(leases_->ListResources(Call().get(), resources_request, &resources).ok());
  ASSERT_EQ(resources.resources_size(), 1);
  EXPECT_EQ(resources.resources(0).type(), "content");
  EXPECT_EQ(resources.resources(0).id(), digest);

  v1::UpdateContentRequest update;
  update.mutable_info()->set_digest(digest);
  (*update.mutable_info()->mutable_labels())["team"] = "a";
  (*update.mutable_info()->mutable_labels())["ignored"] = "x";
  update.mutable_update_mask()->add_paths("labels.team");
  v1::UpdateContentResponse updated;
  ASSERT_TRUE(content_->Update(Call().get(), update, &updated).ok());
  EXPECT_THAT(updated.info().labels(), UnorderedElementsAre(Pair("team", "a")));
  update.mutable_update_mask()->set_paths(0, "size");
  EXPECT_EQ(content_->Update(Call().get(), update, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  ASSERT_TRUE(WriteBlob("small", "hello", "alpha", lease).status.ok());
  EXPECT_THAT(ListDigests({}), UnorderedElementsAre(digest, Digest::Of("hello").str()));
  EXPECT_THAT(ListDigests({{"label", "team=a"}}), ElementsAre(digest));
  EXPECT_THAT(ListDigests({{"digest", Digest::Of("hello").str()}}),
              ElementsAre(Digest::Of("hello").str()));
  v1::ListContentRequest bad_filter;
  bad_filter.add_filters()->set_key("size");
  auto context = Call();
  auto reader = content_->List(context.get(), bad_filter);
  v1::ListContentResponse ignored;
  while (reader->Read(&ignored)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // With the lease gone (sync: collected before the answer) nothing holds the blobs.
  v1::DeleteLeaseRequest remove;
  remove.set_id(lease);
  remove.set_sync(true);
  google::protobuf::Empty empty;
  ASSERT_TRUE(leases_->Delete(Call().get(), remove, &empty).ok());
  EXPECT_EQ(Info(digest, &info).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/images/content/blobs/sha256/" +
                                       std::string(Digest::Of(data).hex())));
}

TEST_F(ContentLeasesServiceTest, AnInterruptedWriteResumesFromItsOffset) {
  const std::string data = Pattern(3 << 20);
  std::vector<v1::WriteContentRequest> first = {
      Message(v1::WRITE_ACTION_WRITE, 0, data.substr(0, 1 << 20)),
      Message(v1::WRITE_ACTION_WRITE, 1 << 20, data.substr(1 << 20, 1 << 20))};
  first[0].set_ref("big");
  first[0].set_total(data.size());
  ASSERT_TRUE(Write(first).status.ok());

  v1::ContentStatusRequest status_request;
  status_request.set_ref("big");
  v1::ContentStatusResponse status;
  ASSERT_TRUE(content_->Status(Call().get(), status_request, &status).ok());
  EXPECT_EQ(status.status().offset(), 2 << 20);
  EXPECT_EQ(status.status().total(), 3 << 20);
  // Another namespace has refs of its own.
  EXPECT_EQ(content_->Status(Call("beta").get(), status_request, &status).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListContentStatusesRequest list_request;
  types::v1::Filter* filter = list_request.add_filters();
  filter->set_key("ref");
  filter->add_values("b*");
  v1::ListContentStatusesResponse list;
  ASSERT_TRUE(content_->ListStatuses(Call().get(), list_request, &list).ok());
  ASSERT_EQ(list.statuses_size(), 1);
  EXPECT_EQ(list.statuses(0).ref(), "big");
  list.Clear();
  ASSERT_TRUE(content_->ListStatuses(Call("beta").get(), list_request, &list).ok());
  EXPECT_EQ(list.statuses_size(), 0);

  // Skipping ahead leaves a hole: refused. STAT tells where to go on.
  std::vector<v1::WriteContentRequest> hole = {Message(v1::WRITE_ACTION_WRITE, (2 << 20) + 1, "x")};
  hole[0].set_ref("big");
  WriteResult refused = Write(hole);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("holds 2097152 bytes"));

  std::vector<v1::WriteContentRequest> rest = {
      Message(v1::WRITE_ACTION_STAT, 0),
      Message(v1::WRITE_ACTION_COMMIT, 2 << 20, data.substr(2 << 20))};
  rest[0].set_ref("big");
  rest[1].set_expected(Digest::Of(data).str());
  WriteResult resumed = Write(rest);
  ASSERT_TRUE(resumed.status.ok()) << resumed.status.error_message();
  EXPECT_EQ(resumed.responses[0].offset(), 2 << 20);
  EXPECT_EQ(resumed.responses[1].digest(), Digest::Of(data).str());
  grpc::Status read;
  EXPECT_TRUE(Read(Digest::Of(data).str(), 0, 0, &read) == data);
  EXPECT_EQ(content_->Status(Call().get(), status_request, &status).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ContentLeasesServiceTest, BadWritesLoseNothingAndAreExplained) {
  // Wrong digest at commit: FailedPrecondition, the ingest dropped, nothing committed.
  std::vector<v1::WriteContentRequest> wrong = {Message(v1::WRITE_ACTION_COMMIT, 0, "abc")};
  wrong[0].set_ref("wrong");
  wrong[0].set_expected(Digest::Of("abd").str());
  WriteResult mismatch = Write(wrong);
  EXPECT_EQ(mismatch.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  v1::ContentInfo info;
  EXPECT_EQ(Info(Digest::Of("abc").str(), &info).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListContentStatusesResponse statuses;
  ASSERT_TRUE(content_->ListStatuses(Call().get(), {}, &statuses).ok());
  EXPECT_THAT(statuses.statuses(), IsEmpty());

  // No ref; an unknown lease; a bad digest.
  EXPECT_EQ(Write({Message(v1::WRITE_ACTION_STAT, 0)}).status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(WriteBlob("r", "abc", "alpha", "no-such-lease").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Info("sha256:12", &info).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // The same blob twice: AlreadyExists the second time, in the same namespace only.
  ASSERT_TRUE(WriteBlob("one", "abc").status.ok());
  EXPECT_EQ(WriteBlob("two", "abc").status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  std::vector<v1::WriteContentRequest> known = {Message(v1::WRITE_ACTION_STAT, 0)};
  known[0].set_ref("three");
  known[0].set_expected(Digest::Of("abc").str());
  EXPECT_EQ(Write(known).status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Info(Digest::Of("abc").str(), &info, "beta").error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(WriteBlob("one", "abc", "beta").status.ok());

  // Delete in one namespace keeps the bytes another holds; the last one removes them.
  const std::string path =
      dir_ + "/images/content/blobs/sha256/" + std::string(Digest::Of("abc").hex());
  v1::DeleteContentRequest remove;
  remove.set_digest(Digest::Of("abc").str());
  google::protobuf::Empty empty;
  ASSERT_TRUE(content_->Delete(Call("alpha").get(), remove, &empty).ok());
  EXPECT_EQ(Info(Digest::Of("abc").str(), &info, "alpha").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(std::filesystem::exists(path));
  ASSERT_TRUE(content_->Delete(Call("beta").get(), remove, &empty).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(content_->Delete(Call("beta").get(), remove, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Abort drops a half-written ingest.
  std::vector<v1::WriteContentRequest> half = {Message(v1::WRITE_ACTION_WRITE, 0, "partial")};
  half[0].set_ref("half");
  ASSERT_TRUE(Write(half).status.ok());
  v1::AbortContentRequest abort;
  abort.set_ref("half");
  ASSERT_TRUE(content_->Abort(Call().get(), abort, &empty).ok());
  EXPECT_EQ(content_->Abort(Call().get(), abort, &empty).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ContentLeasesServiceTest, LeasesListFilterExpireAndCheckTheirResources) {
  const std::string generated = CreateLease("");
  EXPECT_FALSE(generated.empty());
  CreateLease("named");
  v1::CreateLeaseRequest again;
  again.set_id("named");
  v1::CreateLeaseResponse created;
  EXPECT_EQ(leases_->Create(Call().get(), again, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::CreateLeaseRequest short_lived;
  short_lived.set_id("short");
  short_lived.mutable_expire_after()->set_nanos(1000);
  ASSERT_TRUE(leases_->Create(Call().get(), short_lived, &created).ok());
  EXPECT_TRUE(created.lease().has_expires_at());

  v1::ListLeasesRequest by_id;
  types::v1::Filter* filter = by_id.add_filters();
  filter->set_key("id");
  filter->add_values("named");
  filter->add_values("short");
  v1::ListLeasesResponse listed;
  ASSERT_TRUE(leases_->List(Call().get(), by_id, &listed).ok());
  EXPECT_EQ(listed.leases_size(), 2);
  v1::ListLeasesRequest by_label;
  filter = by_label.add_filters();
  filter->set_key("label");
  filter->add_values("purpose=test");
  listed.Clear();
  ASSERT_TRUE(leases_->List(Call().get(), by_label, &listed).ok());
  EXPECT_EQ(listed.leases_size(), 2);  // generated and named
  listed.Clear();
  ASSERT_TRUE(leases_->List(Call("beta").get(), {}, &listed).ok());
  EXPECT_EQ(listed.leases_size(), 0);

  google::protobuf::Empty empty;
  v1::AddLeaseResourceRequest add;
  add.set_lease_id("named");
  add.mutable_resource()->set_type("snapshots/overlayfs");
  add.mutable_resource()->set_id("default/rootfs");
  ASSERT_TRUE(leases_->AddResource(Call().get(), add, &empty).ok());
  add.mutable_resource()->set_type("volumes");
  EXPECT_EQ(leases_->AddResource(Call().get(), add, &empty).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  add.mutable_resource()->set_type("content");
  add.mutable_resource()->set_id("not-a-digest");
  EXPECT_EQ(leases_->AddResource(Call().get(), add, &empty).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  add.set_lease_id("missing");
  add.mutable_resource()->set_id(Digest::Of("x").str());
  EXPECT_EQ(leases_->AddResource(Call().get(), add, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::DeleteLeaseResourceRequest drop;
  drop.set_lease_id("named");
  drop.mutable_resource()->set_type("snapshots/overlayfs");
  drop.mutable_resource()->set_id("default/rootfs");
  ASSERT_TRUE(leases_->DeleteResource(Call().get(), drop, &empty).ok());
  v1::ListLeaseResourcesRequest resources_request;
  resources_request.set_lease_id("named");
  v1::ListLeaseResourcesResponse resources;
  ASSERT_TRUE(leases_->ListResources(Call().get(), resources_request, &resources).ok());
  EXPECT_EQ(resources.resources_size(), 0);

  // An expired lease goes with the next collection.
  ASSERT_TRUE(root_->CollectGarbage().ok());
  listed.Clear();
  ASSERT_TRUE(leases_->List(Call().get(), {}, &listed).ok());
  std::vector<std::string> ids;
  for (const v1::Lease& lease : listed.leases()) ids.push_back(lease.id());
  EXPECT_THAT(ids, UnorderedElementsAre(generated, "named"));

  v1::DeleteLeaseRequest remove;
  remove.set_id("short");
  EXPECT_EQ(leases_->Delete(Call().get(), remove, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace berth::images
