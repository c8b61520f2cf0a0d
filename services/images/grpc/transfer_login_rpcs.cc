#include "services/images/grpc/transfer_login_rpcs.h"

#include "absl/strings/str_cat.h"
#include "common/rpc/status.h"
#include "services/images/core/registry_search.h"

namespace berth::images {
namespace {

constexpr int kDefaultSearchLimit = 25;  // Docker's

std::optional<Credentials> CredentialsOf(const v1::RegistryAuth& auth) {
  if (auth.username().empty()) return std::nullopt;
  return Credentials{auth.username(), auth.password()};
}

}  // namespace

grpc::Status HandleAuthenticate(ImageRoot& root, const v1::AuthenticateRequest& request,
                                v1::AuthenticateResponse* response) {
  const v1::RegistryAuth& auth = request.auth();
  if (auth.server_address().empty() || auth.username().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "a server address and a username are required");
  }
  std::unique_ptr<RegistryClient> client = root.NewRegistryClient(std::nullopt);
  absl::Status checked = client->CheckLogin(auth.server_address(), *CredentialsOf(auth));
  if (!checked.ok()) {
    return rpc::ToGrpcStatus(absl::Status(
        checked.code(), absl::StrCat("login to ", auth.server_address(), ": ", checked.message())));
  }
  response->set_status("Login Succeeded");
  return grpc::Status::OK;
}

grpc::Status HandleSearch(ImageRoot& root, const v1::SearchImagesRequest& request,
                          v1::SearchImagesResponse* response) {
  if (request.term().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a search term is required");
  }
  if (request.limit() < 0 || request.limit() > 100) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "limit must be between 1 and 100");
  }
  std::unique_ptr<RegistryClient> client = root.NewRegistryClient(CredentialsOf(request.auth()));
  absl::StatusOr<std::vector<std::string>> names =
      SearchRegistry(*client, ParseSearchTerm(request.term()),
                     request.limit() == 0 ? kDefaultSearchLimit : request.limit());
  if (!names.ok()) return rpc::ToGrpcStatus(names.status());
  for (const std::string& name : *names) response->add_results()->set_name(name);
  return grpc::Status::OK;
}

}  // namespace berth::images
