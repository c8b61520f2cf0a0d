// Load, Save and Import through a real gRPC server on a unix socket: chunks in, chunks out.
#include "services/images/grpc/transfer_archive_rpcs.h"

#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "berth/images/v1/transfer.grpc.pb.h"
#include "common/rpc/namespace.h"
#include "tests/harness/subprocess.h"

namespace berth::images {
namespace {

using ::testing::HasSubstr;

// The part of the Transfer service these handlers make up.
class ArchiveTransfer final : public v1::Transfer::Service {
 public:
  explicit ArchiveTransfer(ImageRoot& root) : root_(root) {}
  grpc::Status Load(grpc::ServerContext* context, grpc::ServerReader<v1::LoadImagesRequest>* reader,
                    v1::LoadImagesResponse* response) override {
    return HandleLoad(root_, context, reader, response);
  }
  grpc::Status Save(grpc::ServerContext* context, const v1::SaveImagesRequest* request,
                    grpc::ServerWriter<v1::SaveImagesResponse>* writer) override {
    return HandleSave(root_, context, request, writer);
  }
  grpc::Status Import(grpc::ServerContext* context,
                      grpc::ServerReader<v1::ImportImageRequest>* reader,
                      v1::ImportImageResponse* response) override {
    return HandleImport(root_, context, reader, response);
  }

 private:
  ImageRoot& root_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

class TransferArchiveRpcsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-transfer-archive-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ImageRootOptions options;
    options.root_dir = dir_ + "/images";
    options.storage_driver = "native";
    auto root = ImageRoot::Open(options);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
    service_ = std::make_unique<ArchiveTransfer>(*root_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + dir_ + "/s.sock", grpc::InsecureServerCredentials());
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::Transfer::NewStub(
        grpc::CreateChannel("unix:" + dir_ + "/s.sock", grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    root_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Context(grpc::ClientContext& context) { rpc::SetNamespace(context, "rpc-test"); }

  // Sends `data` in chunks of `chunk` bytes after `first` (options, when set).
  template <typename Request, typename Response, typename Call>
  grpc::Status Stream(Call call, const Request* first, const std::string& data, size_t chunk,
                      Response* response) {
    grpc::ClientContext context;
    Context(context);
    auto writer = (stub_.get()->*call)(&context, response);
    if (first != nullptr) writer->Write(*first);
    for (size_t at = 0; at < data.size(); at += chunk) {
      Request request;
      request.set_chunk(data.substr(at, chunk));
      if (!writer->Write(request)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  std::string dir_;
  std::unique_ptr<ImageRoot> root_;
  std::unique_ptr<ArchiveTransfer> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Transfer::Stub> stub_;
};

TEST_F(TransferArchiveRpcsTest, LoadSaveAndImportStreamInChunks) {
  const std::string archive = dir_ + "/busybox.tar";
  auto made =
      testing::RunCommand({"/usr/bin/env", "python3",
                           std::string(BERTH_SOURCE_DIR) + "/tests/images/make_busybox_image.py",
                           "--format", "docker-archive", "-o", archive});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  v1::LoadImagesResponse loaded;
  grpc::Status status = Stream<v1::LoadImagesRequest>(&v1::Transfer::Stub::Load, nullptr,
                                                      ReadAll(archive), 300000, &loaded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(loaded.images_size(), 1);
  EXPECT_EQ(loaded.images(0).reference(), "docker.io/library/busybox:latest");
  EXPECT_TRUE(root_->metadata().GetImage("rpc-test", "docker.io/library/busybox:latest").ok());

  v1::SaveImagesRequest save;
  save.add_names("busybox");
  save.set_format(v1::ARCHIVE_FORMAT_OCI);
  grpc::ClientContext save_context;
  Context(save_context);
  auto reader = stub_->Save(&save_context, save);
  std::string saved;
  v1::SaveImagesResponse chunk;
  while (reader->Read(&chunk)) {
    EXPECT_LE(chunk.chunk().size(), 1u << 20);
    saved += chunk.chunk();
  }
  ASSERT_TRUE(reader->Finish().ok());

  v1::LoadImagesRequest options;
  options.mutable_options()->mutable_platform()->set_os("linux");
  options.mutable_options()->mutable_platform()->set_architecture("amd64");
  v1::LoadImagesResponse reloaded;
  status =
      Stream<v1::LoadImagesRequest>(&v1::Transfer::Stub::Load, &options, saved, 1 << 20, &reloaded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reloaded.images_size(), 1);
  EXPECT_EQ(reloaded.images(0).image_id(), loaded.images(0).image_id());

  // Import takes a rootfs tarball.
  const std::string rootfs = dir_ + "/rootfs.tar";
  auto extracted = testing::RunCommand({"/bin/sh", "-c",
                                        "mkdir -p " + dir_ + "/rootfs/etc && echo hi > " + dir_ +
                                            "/rootfs/etc/motd && tar -cf " + rootfs + " -C " +
                                            dir_ + "/rootfs ."});
  ASSERT_EQ(extracted.exit_code, 0) << extracted.err;
  v1::ImportImageRequest import_options;
  import_options.mutable_options()->set_reference("imported:1");
  import_options.mutable_options()->add_changes("ENV A=b");
  v1::ImportImageResponse imported;
  status = Stream<v1::ImportImageRequest>(&v1::Transfer::Stub::Import, &import_options,
                                          ReadAll(rootfs), 1 << 20, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.image().name(), "docker.io/library/imported:1");
  EXPECT_THAT(imported.image_id(), HasSubstr("sha256:"));

  // An import without options, and a load of garbage, fail cleanly.
  status = Stream<v1::ImportImageRequest>(&v1::Transfer::Stub::Import,
                                          static_cast<v1::ImportImageRequest*>(nullptr), "xxxx", 2,
                                          &imported);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  status = Stream<v1::LoadImagesRequest>(&v1::Transfer::Stub::Load, nullptr,
                                         std::string(3 << 20, 'x'), 1 << 20, &loaded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("not a tar"));
}

}  // namespace
}  // namespace berth::images
