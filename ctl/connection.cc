#include "ctl/connection.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/channel.h"
#include "ctl/shared_channels.h"

namespace berth::ctl {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// BERTH_CERT_PATH, else ~/.berth, as Docker's DOCKER_CERT_PATH and ~/.docker.
std::string CertPath() {
  std::string path = Env("BERTH_CERT_PATH");
  if (!path.empty()) return path;
  std::string home = Env("HOME");
  return (home.empty() ? std::string("/root") : home) + "/.berth";
}

using ChannelKey = std::tuple<std::string, bool, std::string, std::string, std::string>;

std::mutex shared_mu;
std::map<ChannelKey, std::shared_ptr<grpc::Channel>>* shared_channels = nullptr;

}  // namespace

SharedChannels::SharedChannels() {
  std::lock_guard lock(shared_mu);
  if (shared_channels == nullptr)
    shared_channels = new std::map<ChannelKey, std::shared_ptr<grpc::Channel>>();
}

SharedChannels::~SharedChannels() {
  std::map<ChannelKey, std::shared_ptr<grpc::Channel>>* channels = nullptr;
  {
    std::lock_guard lock(shared_mu);
    std::swap(channels, shared_channels);
  }
  delete channels;
}

std::string EffectiveHost(const GlobalOptions& options) {
  if (!options.host.empty()) return options.host;
  std::string env = Env("BERTH_HOST");
  return env.empty() ? kDefaultHost : env;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(const GlobalOptions& options) {
  const ChannelKey key{EffectiveHost(options), options.tlsverify, options.tlscacert,
                       options.tlscert, options.tlskey};
  {
    std::lock_guard lock(shared_mu);
    if (shared_channels != nullptr) {
      if (auto it = shared_channels->find(key); it != shared_channels->end()) return it->second;
    }
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectFresh(options);
  if (!channel.ok()) return channel;
  std::lock_guard lock(shared_mu);
  if (shared_channels != nullptr) shared_channels->emplace(key, *channel);
  return channel;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectFresh(const GlobalOptions& options) {
  std::string host = EffectiveHost(options);
  bool tls = options.tlsverify || !Env("BERTH_TLS_VERIFY").empty();
  if (!tls || !absl::StartsWith(host, "tcp://")) return rpc::Dial(host);
  auto pick = [](const std::string& given, const char* file) {
    return given.empty() ? absl::StrCat(CertPath(), "/", file) : given;
  };
  return rpc::Dial(host, rpc::ClientTlsFiles{pick(options.tlscacert, "ca.pem"),
                                             pick(options.tlscert, "cert.pem"),
                                             pick(options.tlskey, "key.pem")});
}

std::string CannotConnectMessage(const GlobalOptions& options, const std::string& detail) {
  return absl::StrCat("Cannot connect to berthd at ", EffectiveHost(options),
                      ". Is berthd running? (", detail, ")");
}

}  // namespace berth::ctl
