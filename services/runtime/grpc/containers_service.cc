#include "services/runtime/grpc/containers_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/runtime/grpc/runtime_convert.h"

namespace berth::runtime {
namespace {

absl::Status Require(const std::string& value, absl::string_view field) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

using Filters = google::protobuf::RepeatedPtrField<types::v1::Filter>;

// What `before=<container>` and `since=<container>` name: creation times, resolved once
// per List. Several values of a key are OR'd as any other key's: the widest bound wins.
struct CreationBounds {
  absl::Time before = absl::InfinitePast();   // created earlier than this
  absl::Time since = absl::InfiniteFuture();  // created later than this
};

absl::StatusOr<CreationBounds> ResolveCreationBounds(ContainerStore& store, const std::string& ns,
                                                     const Filters& filters) {
  CreationBounds bounds;
  for (const types::v1::Filter& filter : filters) {
    if (filter.key() != "before" && filter.key() != "since") continue;
    for (const std::string& value : filter.values()) {
      BERTH_ASSIGN_OR_RETURN(ContainerRecord named, store.Resolve(ns, value));
      if (filter.key() == "before") {
        bounds.before = std::max(bounds.before, named.created);
      } else {
        bounds.since = std::min(bounds.since, named.created);
      }
    }
  }
  return bounds;
}

// `docker ps --filter`: values of one key OR'd, keys AND'd.
absl::StatusOr<bool> Matches(const ContainerRecord& record, const Filters& filters,
                             const CreationBounds& bounds) {
  for (const types::v1::Filter& filter : filters) {
    bool any = false;
    for (const std::string& value : filter.values()) {
      const std::string& key = filter.key();
      if (key == "id") {
        any = any || absl::StartsWith(record.id, value);
      } else if (key == "name") {
        any = any || absl::StrContains(record.name, absl::StripPrefix(value, "/"));
      } else if (key == "label") {
        const size_t eq = value.find('=');
        auto it = record.labels.find(value.substr(0, eq));
        any = any || (it != record.labels.end() &&
                      (eq == std::string::npos || it->second == value.substr(eq + 1)));
      } else if (key == "status") {
        any = any || ContainerStatusName(record.state.status) == value;
      } else if (key == "exited") {
        int code = 0;
        any = any || (record.state.status == ContainerStatus::kExited &&
                      absl::SimpleAtoi(value, &code) && code == record.state.exit_code);
      } else if (key == "ancestor") {
        absl::string_view hex = absl::StripPrefix(value, "sha256:");
        any = any || record.image == value ||
              (hex.size() >= 4 &&
               absl::StartsWith(absl::StripPrefix(record.image_id, "sha256:"), hex));
      } else if (key == "before") {
        any = any || record.created < bounds.before;
      } else if (key == "since") {
        any = any || record.created > bounds.since;
      } else {
        return absl::InvalidArgumentError(absl::StrCat("invalid filter '", key, "'"));
      }
    }
    if (!any) return false;
  }
  return true;
}

// Docker's SizeRw (the container's own writable layer) and SizeRootFs (that and its
// image's layers); -1 each when the images service cannot tell. Image sizes are asked
// once per call through `image_sizes`.
template <typename Message>
void AddSizes(ImageSource& images, const std::string& ns, const ContainerRecord& record,
              std::map<std::string, int64_t>& image_sizes, Message* out) {
  absl::StatusOr<int64_t> rw = images.RootfsUsage(ns, record.snapshotter, record.snapshot_key);
  if (!rw.ok()) return;
  out->set_size_rw(*rw);
  auto image = image_sizes.find(record.image_id);
  if (image == image_sizes.end()) {
    absl::StatusOr<int64_t> size = images.ImageSize(ns, record.image_id);
    image = image_sizes.emplace(record.image_id, size.ok() ? *size : -1).first;
  }
  if (image->second >= 0) out->set_size_root_fs(*rw + image->second);
}

// A running container's health, when it has a health check.
void AddHealth(ContainerSupervisor& supervisor, const std::string& id, v1::ContainerState* state) {
  v1::Health health = supervisor.HealthOf(id);
  if (health.status() != v1::HEALTH_STATUS_UNSPECIFIED) *state->mutable_health() = health;
}

}  // namespace

grpc::Status ContainersService::Create(grpc::ServerContext* context,
                                       const v1::CreateContainerRequest* request,
                                       v1::CreateContainerResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(ContainerRecord record,
                           supervisor_->CreateContainer(ns, request->name(), request->spec()));
    response->set_id(record.id);
    return absl::OkStatus();
  }());
}

grpc::Status ContainersService::Get(grpc::ServerContext* context,
                                    const v1::GetContainerRequest* request,
                                    v1::GetContainerResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, request->id()));
    ToProto(record, response->mutable_container());
    AddHealth(*supervisor_, record.id, response->mutable_container()->mutable_state());
    return absl::OkStatus();
  }());
}

grpc::Status ContainersService::List(grpc::ServerContext* context,
                                     const v1::ListContainersRequest* request,
                                     v1::ListContainersResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(std::vector<ContainerRecord> records, store_->List(ns));
    // Published ports and networks of every container, in one call; none when the
    // network service does not answer.
    std::map<std::string, std::vector<network::v1::Endpoint>> endpoints;
    if (auto all = supervisor_->Endpoints(ns, ""); all.ok()) {
      for (network::v1::Endpoint& endpoint : *all) {
        endpoints[endpoint.container_id()].push_back(std::move(endpoint));
      }
    }
    BERTH_ASSIGN_OR_RETURN(CreationBounds bounds,
                           ResolveCreationBounds(*store_, ns, request->filters()));
    std::map<std::string, int64_t> image_sizes;  // by image ID, for `size`
    const bool status_filter =
        std::any_of(request->filters().begin(), request->filters().end(),
                    [](const types::v1::Filter& f) { return f.key() == "status"; });
    for (const ContainerRecord& record : records) {
      const bool running = record.state.status == ContainerStatus::kRunning ||
                           record.state.status == ContainerStatus::kPaused ||
                           record.state.status == ContainerStatus::kRestarting;
      if (!request->all() && !status_filter && !running) continue;
      BERTH_ASSIGN_OR_RETURN(bool match, Matches(record, request->filters(), bounds));
      if (!match) continue;
      v1::ContainerSummary* summary = response->add_containers();
      ToProto(record, summary);
      for (const network::v1::Endpoint& endpoint : endpoints[record.id]) {
        summary->add_networks(endpoint.network_name());
        *summary->mutable_ports() = endpoint.port_bindings();
      }
      if (request->size()) AddSizes(*images_, ns, record, image_sizes, summary);
      AddHealth(*supervisor_, record.id, summary->mutable_state());
      summary->mutable_state()->mutable_health()->clear_log();  // ps shows the status only
      if (!summary->state().health().status()) summary->mutable_state()->clear_health();
      if (request->limit() > 0 && response->containers_size() >= request->limit()) break;
    }
    return absl::OkStatus();
  }());
}

grpc::Status ContainersService::Update(grpc::ServerContext* context,
                                       const v1::UpdateContainerRequest* request,
                                       v1::UpdateContainerResponse*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(Require(request->id(), "id"));
    return supervisor_->Update(ns, *request);
  }());
}

grpc::Status ContainersService::Rename(grpc::ServerContext* context,
                                       const v1::RenameContainerRequest* request,
                                       google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(Require(request->id(), "id"));
    BERTH_RETURN_IF_ERROR(Require(request->new_name(), "new_name"));
    return supervisor_->Rename(ns, request->id(), request->new_name());
  }());
}

grpc::Status ContainersService::ConnectNetwork(grpc::ServerContext* context,
                                               const v1::ConnectNetworkRequest* request,
                                               google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(Require(request->id(), "id"));
    BERTH_RETURN_IF_ERROR(Require(request->network().network(), "network.network"));
    return supervisor_->ConnectNetwork(ns, request->id(), request->network());
  }());
}

grpc::Status ContainersService::DisconnectNetwork(grpc::ServerContext* context,
                                                  const v1::DisconnectNetworkRequest* request,
                                                  google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(Require(request->id(), "id"));
    BERTH_RETURN_IF_ERROR(Require(request->network(), "network"));
    return supervisor_->DisconnectNetwork(ns, request->id(), request->network());
  }());
}

grpc::Status ContainersService::Delete(grpc::ServerContext* context,
                                       const v1::DeleteContainerRequest* request,
                                       google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(Require(request->id(), "id"));
    return supervisor_->Delete(ns, request->id(), request->force(), request->remove_volumes());
  }());
}

grpc::Status ContainersService::Inspect(grpc::ServerContext* context,
                                        const v1::InspectContainerRequest* request,
                                        v1::InspectContainerResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(Require(request->id(), "id"));
    BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, request->id()));
    v1::ContainerInspect* out = response->mutable_container();
    const v1::ContainerSpec spec = ContainerSupervisor::SpecOf(record);
    out->set_id(record.id);
    out->set_name(record.name);
    ToProto(record.created, out->mutable_created());
    std::vector<std::string> words(spec.entrypoint().args().begin(),
                                   spec.entrypoint().args().end());
    words.insert(words.end(), spec.cmd().args().begin(), spec.cmd().args().end());
    if (!words.empty()) {
      out->set_path(words[0]);
      out->mutable_args()->Add(words.begin() + 1, words.end());
    }
    ToProto(record.state, out->mutable_state());
    AddHealth(*supervisor_, record.id, out->mutable_state());
    out->set_image_id(record.image_id);
    const std::string dir = supervisor_->ContainerDir(record.id);
    out->set_resolv_conf_path(dir + "/resolv.conf");
    out->set_hostname_path(dir + "/hostname");
    out->set_hosts_path(dir + "/hosts");
    out->set_log_path(supervisor_->LogPath(record.id));
    out->set_driver(record.snapshotter);
    out->mutable_platform()->set_os("linux");
    *out->mutable_spec() = spec;
    v1::MountPoints mounts;
    if (mounts.ParseFromString(record.mounts)) *out->mutable_mounts() = mounts.mounts();
    if (auto endpoints = supervisor_->Endpoints(ns, record.id); endpoints.ok()) {
      ToProto(*endpoints, out->mutable_network_settings());
    }
    out->set_size_rw(-1);
    out->set_size_root_fs(-1);
    if (request->size()) {
      std::map<std::string, int64_t> image_sizes;
      AddSizes(*images_, ns, record, image_sizes, out);
    }
    out->set_oci_runtime_spec_path(supervisor_->TaskDir(record.id) + "/config.json");
    return absl::OkStatus();
  }());
}

grpc::Status ContainersService::Prune(grpc::ServerContext* context,
                                      const v1::PruneContainersRequest* request,
                                      v1::PruneContainersResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(std::vector<ContainerRecord> records, store_->List(ns));
    google::protobuf::RepeatedPtrField<types::v1::Filter> labels;
    absl::Time until = absl::InfiniteFuture();
    for (const types::v1::Filter& filter : request->filters()) {
      if (filter.key() == "label") {
        *labels.Add() = filter;
      } else if (filter.key() == "until") {
        for (const std::string& value : filter.values()) {
          int64_t seconds = 0;
          absl::Time parsed;
          std::string error;
          if (absl::SimpleAtoi(value, &seconds)) {
            until = absl::FromUnixSeconds(seconds);
          } else if (absl::ParseTime(absl::RFC3339_full, value, &parsed, &error)) {
            until = parsed;
          } else {
            return absl::InvalidArgumentError(absl::StrCat("invalid until filter '", value, "'"));
          }
        }
      } else {
        return absl::InvalidArgumentError(absl::StrCat("invalid filter '", filter.key(), "'"));
      }
    }
    for (const ContainerRecord& record : records) {
      if (record.state.status != ContainerStatus::kExited &&
          record.state.status != ContainerStatus::kCreated &&
          record.state.status != ContainerStatus::kDead) {
        continue;
      }
      if (record.created >= until) continue;
      BERTH_ASSIGN_OR_RETURN(bool match, Matches(record, labels, CreationBounds()));
      if (!match) continue;
      if (supervisor_->Delete(ns, record.id, /*force=*/false, /*remove_volumes=*/false).ok()) {
        response->add_deleted(record.id);
      }
    }
    return absl::OkStatus();
  }());
}

}  // namespace berth::runtime
