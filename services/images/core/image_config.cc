#include "services/images/core/image_config.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/images/core/json_fields.h"

namespace berth::images {
namespace {

using json_fields::Element;
using json_fields::Json;

absl::Status ReadHealthCheck(const Json& obj, absl::string_view path, HealthCheck* out) {
  HealthCheck h;
  BERTH_RETURN_IF_ERROR(json_fields::ReadStringList(obj, path, "Test", &h.test));
  BERTH_RETURN_IF_ERROR(json_fields::ReadInt64(obj, path, "Interval", false, &h.interval_ns));
  BERTH_RETURN_IF_ERROR(json_fields::ReadInt64(obj, path, "Timeout", false, &h.timeout_ns));
  BERTH_RETURN_IF_ERROR(
      json_fields::ReadInt64(obj, path, "StartPeriod", false, &h.start_period_ns));
  BERTH_RETURN_IF_ERROR(json_fields::ReadInt64(obj, path, "Retries", false, &h.retries));
  *out = std::move(h);
  return absl::OkStatus();
}

absl::Status ReadContainerConfig(const Json& obj, ContainerConfig* out) {
  constexpr absl::string_view kPath = "config";
  ContainerConfig c;
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(obj, kPath, "User", false, &c.user));
  BERTH_RETURN_IF_ERROR(json_fields::ReadKeySet(obj, kPath, "ExposedPorts", &c.exposed_ports));
  BERTH_RETURN_IF_ERROR(json_fields::ReadStringList(obj, kPath, "Env", &c.env));
  BERTH_RETURN_IF_ERROR(json_fields::ReadStringList(obj, kPath, "Entrypoint", &c.entrypoint));
  BERTH_RETURN_IF_ERROR(json_fields::ReadStringList(obj, kPath, "Cmd", &c.cmd));
  BERTH_RETURN_IF_ERROR(json_fields::ReadKeySet(obj, kPath, "Volumes", &c.volumes));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(obj, kPath, "WorkingDir", false, &c.working_dir));
  BERTH_RETURN_IF_ERROR(json_fields::ReadStringMap(obj, kPath, "Labels", &c.labels));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(obj, kPath, "StopSignal", false, &c.stop_signal));
  BERTH_ASSIGN_OR_RETURN(const Json* health, json_fields::Member(obj, kPath, "Healthcheck", false));
  if (health != nullptr) {
    c.healthcheck.emplace();
    BERTH_RETURN_IF_ERROR(ReadHealthCheck(*health, "config.Healthcheck", &*c.healthcheck));
  }
  *out = std::move(c);
  return absl::OkStatus();
}

absl::Status ReadHistory(const Json& list, std::vector<HistoryEntry>* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = Element("history", i);
    const Json& item = list[i];
    if (!item.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"", path, "\" must be an object, not ", item.type_name()));
    }
    HistoryEntry h;
    BERTH_RETURN_IF_ERROR(json_fields::ReadString(item, path, "created", false, &h.created));
    BERTH_RETURN_IF_ERROR(json_fields::ReadString(item, path, "created_by", false, &h.created_by));
    BERTH_RETURN_IF_ERROR(json_fields::ReadString(item, path, "author", false, &h.author));
    BERTH_RETURN_IF_ERROR(json_fields::ReadString(item, path, "comment", false, &h.comment));
    BERTH_RETURN_IF_ERROR(json_fields::ReadBool(item, path, "empty_layer", &h.empty_layer));
    out->push_back(std::move(h));
  }
  return absl::OkStatus();
}

absl::Status ReadImageConfig(const Json& json, ImageConfig* config) {
  BERTH_RETURN_IF_ERROR(
      json_fields::ReadString(json, "", "architecture", true, &config->architecture));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(json, "", "os", true, &config->os));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(json, "", "variant", false, &config->variant));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(json, "", "created", false, &config->created));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(json, "", "author", false, &config->author));
  BERTH_RETURN_IF_ERROR(json_fields::ReadString(json, "", "container", false, &config->container));
  BERTH_ASSIGN_OR_RETURN(const Json* container, json_fields::Member(json, "", "config", false));
  if (container != nullptr) BERTH_RETURN_IF_ERROR(ReadContainerConfig(*container, &config->config));
  BERTH_ASSIGN_OR_RETURN(const Json* rootfs, json_fields::Member(json, "", "rootfs", true));
  BERTH_RETURN_IF_ERROR(
      json_fields::ReadString(*rootfs, "rootfs", "type", true, &config->rootfs_type));
  if (config->rootfs_type != "layers") {
    return absl::InvalidArgumentError(absl::StrCat(
        "field \"rootfs.type\" must be \"layers\", not \"", config->rootfs_type, "\""));
  }
  BERTH_ASSIGN_OR_RETURN(const Json* diff_ids,
                         json_fields::Member(*rootfs, "rootfs", "diff_ids", true, true));
  for (size_t i = 0; i < diff_ids->size(); ++i) {
    const Json& item = (*diff_ids)[i];
    std::string path = Element("rootfs.diff_ids", i);
    absl::StatusOr<Digest> digest =
        item.is_string() ? Digest::Parse(item.get<std::string>())
                         : absl::StatusOr<Digest>(absl::InvalidArgumentError(
                               absl::StrCat("must be a string, not ", item.type_name())));
    if (!digest.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"", path, "\": ", digest.status().message()));
    }
    config->diff_ids.push_back(*std::move(digest));
  }
  BERTH_ASSIGN_OR_RETURN(const Json* history,
                         json_fields::Member(json, "", "history", false, true));
  if (history != nullptr) BERTH_RETURN_IF_ERROR(ReadHistory(*history, &config->history));
  return absl::OkStatus();
}

// Docker writes sets as objects with empty values.
Json KeySet(const std::vector<std::string>& keys) {
  Json j = Json::object();
  for (const std::string& key : keys) j[key] = Json::object();
  return j;
}

Json ContainerConfigJson(const ContainerConfig& c) {
  Json j = Json::object();
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.exposed_ports.empty()) j["ExposedPorts"] = KeySet(c.exposed_ports);
  if (!c.env.empty()) j["Env"] = c.env;
  if (!c.entrypoint.empty()) j["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) j["Cmd"] = c.cmd;
  if (!c.volumes.empty()) j["Volumes"] = KeySet(c.volumes);
  if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) j["Labels"] = c.labels;
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  if (c.healthcheck.has_value()) {
    const HealthCheck& h = *c.healthcheck;
    Json hj = {{"Test", h.test}};
    if (h.interval_ns != 0) hj["Interval"] = h.interval_ns;
    if (h.timeout_ns != 0) hj["Timeout"] = h.timeout_ns;
    if (h.start_period_ns != 0) hj["StartPeriod"] = h.start_period_ns;
    if (h.retries != 0) hj["Retries"] = h.retries;
    j["Healthcheck"] = hj;
  }
  return j;
}

}  // namespace

absl::StatusOr<ImageConfig> ParseImageConfig(absl::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(Json json, json_fields::ParseObject(bytes, "image config"));
  ImageConfig config;
  if (absl::Status s = ReadImageConfig(json, &config); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("invalid image config: ", s.message()));
  }
  return config;
}

std::string SerializeImageConfig(const ImageConfig& config) {
  Json diff_ids = Json::array();
  for (const Digest& d : config.diff_ids) diff_ids.push_back(d.str());
  Json j = {{"architecture", config.architecture},
            {"os", config.os},
            {"config", ContainerConfigJson(config.config)},
            {"rootfs", {{"type", config.rootfs_type}, {"diff_ids", diff_ids}}}};
  if (!config.variant.empty()) j["variant"] = config.variant;
  if (!config.created.empty()) j["created"] = config.created;
  if (!config.author.empty()) j["author"] = config.author;
  if (!config.container.empty()) j["container"] = config.container;
  if (!config.history.empty()) {
    Json history = Json::array();
    for (const HistoryEntry& h : config.history) {
      Json hj = Json::object();
      if (!h.created.empty()) hj["created"] = h.created;
      if (!h.created_by.empty()) hj["created_by"] = h.created_by;
      if (!h.author.empty()) hj["author"] = h.author;
      if (!h.comment.empty()) hj["comment"] = h.comment;
      if (h.empty_layer) hj["empty_layer"] = true;
      history.push_back(hj);
    }
    j["history"] = history;
  }
  return j.dump();
}

}  // namespace berth::images
