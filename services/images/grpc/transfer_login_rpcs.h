// The Transfer service's registry account RPCs — Authenticate (`docker login`) and
// Search (`docker search`) — as free functions the Transfer service forwards to.
#pragma once

#include <grpcpp/support/status.h>

#include "berth/images/v1/transfer.pb.h"
#include "services/images/core/image_root.h"

namespace berth::images {

// Checks the request's credentials against its registry: "Login Succeeded", or
// UNAUTHENTICATED with the registry's reason.
grpc::Status HandleAuthenticate(ImageRoot& root, const v1::AuthenticateRequest& request,
                                v1::AuthenticateResponse* response);

// The repositories of the term's registry whose names contain the term.
grpc::Status HandleSearch(ImageRoot& root, const v1::SearchImagesRequest& request,
                          v1::SearchImagesResponse* response);

}  // namespace berth::images
