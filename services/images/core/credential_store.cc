#include "services/images/core/credential_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_text.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace berth::images {
namespace {

using Json = nlohmann::json;

constexpr absl::string_view kDockerHubKey = "https://index.docker.io/v1/";

// "https://host/v1/" → "host"; Docker writes keys either way.
std::string HostOfKey(absl::string_view key) {
  absl::ConsumePrefix(&key, "https://");
  absl::ConsumePrefix(&key, "http://");
  return std::string(key.substr(0, key.find('/')));
}

bool IsDockerHub(absl::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

bool KeyMatches(absl::string_view key, absl::string_view host) {
  std::string key_host = HostOfKey(key);
  return key_host == host || (IsDockerHub(key_host) && IsDockerHub(host));
}

// Reads one config file: nullopt when it does not exist.
absl::StatusOr<std::optional<Json>> LoadConfig(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return std::nullopt;
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFileText(path));
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": malformed JSON"));
  }
  return json;
}

absl::StatusOr<std::optional<Credentials>> FindIn(const Json& config, absl::string_view host,
                                                  const std::string& path) {
  auto auths = config.find("auths");
  if (auths == config.end() || !auths->is_object()) return std::nullopt;
  for (const auto& [key, entry] : auths->items()) {
    if (!KeyMatches(key, host) || !entry.is_object()) continue;
    Credentials credentials;
    if (auto auth = entry.find("auth");
        auth != entry.end() && auth->is_string() && !auth->get<std::string>().empty()) {
      std::string decoded;
      if (!absl::Base64Unescape(auth->get<std::string>(), &decoded) ||
          decoded.find(':') == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": auths[\"", key, "\"].auth is not base64 of user:password"));
      }
      size_t colon = decoded.find(':');
      credentials.username = decoded.substr(0, colon);
      credentials.password = decoded.substr(colon + 1);
      return credentials;
    }
    auto username = entry.find("username");
    auto password = entry.find("password");
    if (username != entry.end() && username->is_string() && password != entry.end() &&
        password->is_string()) {
      credentials.username = username->get<std::string>();
      credentials.password = password->get<std::string>();
      return credentials;
    }
  }
  return std::nullopt;
}

// Writes `json` to `path` with mode 0600 through a temporary file and rename.
absl::Status WriteConfig(const std::string& path, const Json& json) {
  std::string dir = path.substr(0, path.rfind('/'));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", std::strerror(errno)));
  }
  std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return absl::InternalError(absl::StrCat("open ", temp, ": ", std::strerror(errno)));
  std::string text = json.dump(2) + "\n";
  if (::fchmod(fd.get(), 0600) != 0 ||
      ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("write ", temp, ": ", std::strerror(saved)));
  }
  fd.Reset();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    return absl::InternalError(absl::StrCat("rename to ", path, ": ", std::strerror(saved)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string CredentialKeyForHost(absl::string_view host) {
  return IsDockerHub(host) ? std::string(kDockerHubKey) : std::string(host);
}

CredentialStore::CredentialStore(std::string home_dir) : home_dir_(std::move(home_dir)) {}

std::string CredentialStore::berth_config_path() const {
  return absl::StrCat(home_dir_, "/.berth/config.json");
}

std::string CredentialStore::docker_config_path() const {
  return absl::StrCat(home_dir_, "/.docker/config.json");
}

absl::StatusOr<std::optional<Credentials>> CredentialStore::Get(absl::string_view host) const {
  for (const std::string& path : {berth_config_path(), docker_config_path()}) {
    BERTH_ASSIGN_OR_RETURN(std::optional<Json> config, LoadConfig(path));
    if (!config.has_value()) continue;
    BERTH_ASSIGN_OR_RETURN(std::optional<Credentials> found, FindIn(*config, host, path));
    if (found.has_value()) return found;
  }
  return std::nullopt;
}

absl::Status CredentialStore::Store(absl::string_view host, const Credentials& credentials) {
  std::string path = berth_config_path();
  BERTH_ASSIGN_OR_RETURN(std::optional<Json> config, LoadConfig(path));
  Json json = config.value_or(Json::object());
  if (!json.contains("auths") || !json["auths"].is_object()) json["auths"] = Json::object();
  // Other spellings of the same host would shadow the new entry on lookup.
  for (auto it = json["auths"].begin(); it != json["auths"].end();) {
    it = KeyMatches(it.key(), host) ? json["auths"].erase(it) : std::next(it);
  }
  json["auths"][CredentialKeyForHost(host)] = {
      {"auth", absl::Base64Escape(absl::StrCat(credentials.username, ":", credentials.password))}};
  return WriteConfig(path, json);
}

absl::Status CredentialStore::Erase(absl::string_view host) {
  std::string path = berth_config_path();
  BERTH_ASSIGN_OR_RETURN(std::optional<Json> config, LoadConfig(path));
  bool erased = false;
  if (config.has_value() && config->contains("auths") && (*config)["auths"].is_object()) {
    Json& auths = (*config)["auths"];
    for (auto it = auths.begin(); it != auths.end();) {
      if (KeyMatches(it.key(), host)) {
        it = auths.erase(it);
        erased = true;
      } else {
        ++it;
      }
    }
  }
  if (!erased) return absl::NotFoundError(absl::StrCat("not logged in to ", host));
  return WriteConfig(path, *config);
}

}  // namespace berth::images
