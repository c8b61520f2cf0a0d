#include "services/network/core/cni_config_dir.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_text.h"
#include "common/status_macros.h"

namespace berth::network {
namespace {

// Larger files are not configurations; reading them whole would only cost memory.
constexpr size_t kMaxConfigBytes = 1 << 20;

bool IsConfigName(const std::string& name, bool* single_plugin) {
  *single_plugin = absl::EndsWith(name, ".conf") || absl::EndsWith(name, ".json");
  return *single_plugin || absl::EndsWith(name, ".conflist");
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseCniConfig(absl::string_view text, bool single_plugin) {
  nlohmann::json config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  if (single_plugin) {
    if (config.contains("plugins")) {
      return absl::InvalidArgumentError("a plugin list in a single-plugin (.conf) file");
    }
    nlohmann::json list = {{"cniVersion", config.value("cniVersion", "")},
                           {"name", config.value("name", "")}};
    list["plugins"] = nlohmann::json::array({config});
    config = std::move(list);
  }
  if (!config.contains("name") || !config["name"].is_string() ||
      config["name"].get<std::string>().empty()) {
    return absl::InvalidArgumentError("no network name");
  }
  if (!config.contains("cniVersion") || !config["cniVersion"].is_string()) {
    return absl::InvalidArgumentError("no cniVersion");
  }
  if (!config.contains("plugins") || !config["plugins"].is_array() || config["plugins"].empty()) {
    return absl::InvalidArgumentError("no plugins");
  }
  for (const nlohmann::json& plugin : config["plugins"]) {
    if (!plugin.is_object() || !plugin.contains("type") || !plugin["type"].is_string() ||
        plugin["type"].get<std::string>().find('/') != std::string::npos) {
      return absl::InvalidArgumentError("a plugin without a valid type");
    }
  }
  return config;
}

std::vector<CniConfigFile> CniConfigDir::Load(std::vector<std::string>* skipped) const {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    if (entry.is_regular_file(error)) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<CniConfigFile> files;
  for (const std::string& name : names) {
    bool single_plugin = false;
    if (!IsConfigName(name, &single_plugin)) continue;
    const std::string path = absl::StrCat(dir_, "/", name);
    absl::StatusOr<nlohmann::json> config = [&]() -> absl::StatusOr<nlohmann::json> {
      if (std::filesystem::file_size(path, error) > kMaxConfigBytes) {
        return absl::InvalidArgumentError("larger than 1 MiB");
      }
      BERTH_ASSIGN_OR_RETURN(std::string text, ReadFileText(path));
      return ParseCniConfig(text, single_plugin);
    }();
    if (!config.ok()) {
      if (skipped != nullptr)
        skipped->push_back(absl::StrCat(path, ": ", config.status().message()));
      continue;
    }
    files.push_back({path, (*config)["name"].get<std::string>(), *std::move(config)});
  }
  return files;
}

absl::StatusOr<CniConfigFile> CniConfigDir::Find(absl::string_view name) const {
  std::vector<std::string> skipped;
  std::vector<CniConfigFile> files = Load(&skipped);
  for (CniConfigFile& file : files) {
    if (name.empty() || file.name == name) return std::move(file);
  }
  std::string what = name.empty()
                         ? "no CNI network configuration"
                         : absl::StrCat("no CNI network configuration named \"", name, "\"");
  return absl::NotFoundError(absl::StrCat(
      what, " in ", dir_,
      skipped.empty() ? "" : absl::StrCat(" (skipped ", absl::StrJoin(skipped, "; "), ")")));
}

}  // namespace berth::network
