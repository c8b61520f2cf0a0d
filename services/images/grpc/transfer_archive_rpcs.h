// The Transfer service's archive RPCs — Load, Save, Import — as free functions the
// Transfer service forwards to. Archives stream through a pipe between the gRPC stream
// and the core, so no archive is ever held in memory whole; neither side can get a
// SIGPIPE when the other stops early.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>
#include <grpcpp/support/sync_stream.h>

#include "berth/images/v1/transfer.grpc.pb.h"
#include "services/images/core/image_root.h"

namespace berth::images {

// Client stream: an optional LoadImagesOptions first, then the archive in chunks.
grpc::Status HandleLoad(ImageRoot& root, grpc::ServerContext* context,
                        grpc::ServerReader<v1::LoadImagesRequest>* reader,
                        v1::LoadImagesResponse* response);

// Server stream: the archive in chunks of at most 1 MiB.
grpc::Status HandleSave(ImageRoot& root, grpc::ServerContext* context,
                        const v1::SaveImagesRequest* request,
                        grpc::ServerWriter<v1::SaveImagesResponse>* writer);

// Client stream: ImportImageOptions first (required), then the tarball in chunks.
grpc::Status HandleImport(ImageRoot& root, grpc::ServerContext* context,
                          grpc::ServerReader<v1::ImportImageRequest>* reader,
                          v1::ImportImageResponse* response);

}  // namespace berth::images
