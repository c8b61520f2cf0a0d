#include "common/rpc/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/file_text.h"
#include "common/rpc/address.h"
#include "common/status_macros.h"

namespace berth::rpc {

absl::StatusOr<std::string> ReadPemFile(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(std::string pem, ReadFileText(path));
  if (pem.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " is empty"));
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(absl::string_view address,
                                                    const std::optional<ClientTlsFiles>& tls) {
  BERTH_ASSIGN_OR_RETURN(Address parsed, ParseAddress(address));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // A peer that starts after us (split mode) is found within a second, not gRPC's 20 s.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (parsed.kind == Address::Kind::kUnix) {
    credentials = grpc::InsecureChannelCredentials();
  } else if (tls.has_value()) {
    grpc::SslCredentialsOptions options;
    BERTH_ASSIGN_OR_RETURN(options.pem_root_certs, ReadPemFile(tls->ca_cert));
    BERTH_ASSIGN_OR_RETURN(options.pem_cert_chain, ReadPemFile(tls->cert));
    BERTH_ASSIGN_OR_RETURN(options.pem_private_key, ReadPemFile(tls->key));
    credentials = grpc::SslCredentials(options);
  } else {
    // Matches the daemon side: TCP without TLS is only for an explicitly insecure berthd.
    credentials = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(parsed.GrpcTarget(), credentials, args);
}

}  // namespace berth::rpc
