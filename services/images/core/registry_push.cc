// RegistryClient's push side, catalog and login check.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/images/core/registry_client.h"

namespace berth::images {
namespace {

constexpr char kOctetStream[] = "Content-Type: application/octet-stream";

// The URL of an upload from a Location header, which may be relative to the registry.
std::string UploadUrl(absl::string_view base_url, absl::string_view location) {
  if (absl::StartsWith(location, "http://") || absl::StartsWith(location, "https://")) {
    return std::string(location);
  }
  return absl::StrCat(base_url, location);
}

std::string WithQuery(absl::string_view url, absl::string_view query) {
  return absl::StrCat(url, url.find('?') == absl::string_view::npos ? "?" : "&", query);
}

// Reads until `buffer` holds `want` bytes or the reader ends.
absl::StatusOr<size_t> ReadFull(const BodyReader& reader, char* buffer, size_t want) {
  size_t have = 0;
  while (have < want) {
    BERTH_ASSIGN_OR_RETURN(size_t n, reader(buffer + have, want - have));
    if (n == 0) break;
    have += n;
  }
  return have;
}

// The registry's digest for what it stored must be the one we computed, when it says one.
absl::Status CheckStoredDigest(const HttpResponse& response, const Digest& want,
                               absl::string_view what) {
  std::string header = response.Header("docker-content-digest");
  if (header.empty() || header == want.str()) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(what, ": the registry stored digest ", header, ", not ", want.str()));
}

}  // namespace

absl::StatusOr<bool> RegistryClient::BlobExists(const ImageReference& repo, const Digest& digest) {
  BERTH_ASSIGN_OR_RETURN(Endpoint endpoint, PushEndpoint(repo.domain));
  HttpRequest head{
      .method = "HEAD",
      .url = absl::StrCat(endpoint.base_url, "/v2/", repo.path, "/blobs/", digest.str())};
  BERTH_ASSIGN_OR_RETURN(HttpResponse response,
                         Send(endpoint, {RepositoryScope(repo.path, true)}, head));
  if (response.status == 200) return true;
  if (response.status == 404) return false;
  return RegistryError(response, absl::StrCat("HEAD blob ", digest.str()));
}

absl::StatusOr<std::string> RegistryClient::StartUpload(const Endpoint& endpoint,
                                                        const ImageReference& repo) {
  HttpRequest post{.method = "POST",
                   .url = absl::StrCat(endpoint.base_url, "/v2/", repo.path, "/blobs/uploads/"),
                   .body = std::string()};
  BERTH_ASSIGN_OR_RETURN(HttpResponse response,
                         Send(endpoint, {RepositoryScope(repo.path, true)}, post));
  if (response.status != 202) {
    return RegistryError(response, absl::StrCat("starting an upload to ", repo.Name()));
  }
  std::string location = response.Header("location");
  if (location.empty()) {
    return absl::UnknownError(absl::StrCat(repo.domain, " started an upload without a Location"));
  }
  return UploadUrl(endpoint.base_url, location);
}

absl::Status RegistryClient::UploadBlob(const ImageReference& repo, const Digest& digest,
                                        int64_t size, const BodyReader& reader,
                                        int64_t chunk_size) {
  BERTH_ASSIGN_OR_RETURN(Endpoint endpoint, PushEndpoint(repo.domain));
  std::vector<std::string> scopes = {RepositoryScope(repo.path, true)};
  BERTH_ASSIGN_OR_RETURN(std::string location, StartUpload(endpoint, repo));
  std::string what = absl::StrCat("uploading blob ", digest.str(), " to ", repo.Name());
  int64_t sent = 0;
  HttpRequest put{.method = "PUT",
                  .url = WithQuery(location, absl::StrCat("digest=", digest.str())),
                  .headers = {kOctetStream}};
  if (chunk_size <= 0) {
    // One streamed PUT; the reader is counted so a short one is caught.
    put.body_reader = [&](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
      BERTH_ASSIGN_OR_RETURN(size_t n, reader(buffer, capacity));
      sent += static_cast<int64_t>(n);
      if (sent > size)
        return absl::InvalidArgumentError(absl::StrCat(what, ": more than ", size, " bytes"));
      return n;
    };
    put.body_size = size;
  } else {
    std::string chunk(static_cast<size_t>(chunk_size), '\0');
    while (sent < size) {
      BERTH_ASSIGN_OR_RETURN(size_t n, ReadFull(reader, chunk.data(), chunk.size()));
      if (n == 0) break;
      HttpRequest patch{.method = "PATCH",
                        .url = location,
                        .headers = {kOctetStream, absl::StrCat("Content-Range: ", sent, "-",
                                                               sent + static_cast<int64_t>(n) - 1)},
                        .body = chunk.substr(0, n)};
      BERTH_ASSIGN_OR_RETURN(HttpResponse response, Send(endpoint, scopes, std::move(patch)));
      if (response.status != 202) return RegistryError(response, what);
      sent += static_cast<int64_t>(n);
      if (std::string next = response.Header("location"); !next.empty()) {
        location = UploadUrl(endpoint.base_url, next);
      }
    }
    put.url = WithQuery(location, absl::StrCat("digest=", digest.str()));
    put.body = std::string();
  }
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, Send(endpoint, scopes, std::move(put)));
  if (sent != size) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the reader gave ", sent, " bytes, want ", size));
  }
  if (response.status != 201) return RegistryError(response, what);
  return CheckStoredDigest(response, digest, what);
}

absl::StatusOr<bool> RegistryClient::MountBlob(const ImageReference& repo, const Digest& digest,
                                               absl::string_view from_path) {
  BERTH_ASSIGN_OR_RETURN(Endpoint endpoint, PushEndpoint(repo.domain));
  HttpRequest post{.method = "POST",
                   .url = absl::StrCat(endpoint.base_url, "/v2/", repo.path,
                                       "/blobs/uploads/?mount=", digest.str(), "&from=", from_path),
                   .body = std::string()};
  BERTH_ASSIGN_OR_RETURN(
      HttpResponse response,
      Send(endpoint, {RepositoryScope(repo.path, true), RepositoryScope(from_path, false)}, post));
  if (response.status == 201) return true;
  if (response.status != 202) {
    return RegistryError(response,
                         absl::StrCat("mounting blob ", digest.str(), " from ", from_path));
  }
  // The registry opened an ordinary upload instead; it is not used, so cancel it.
  if (std::string location = response.Header("location"); !location.empty()) {
    HttpRequest cancel{.method = "DELETE", .url = UploadUrl(endpoint.base_url, location)};
    (void)Send(endpoint, {RepositoryScope(repo.path, true)}, cancel);
  }
  return false;
}

absl::StatusOr<Digest> RegistryClient::PutManifest(const ImageReference& repo,
                                                   absl::string_view tag_or_digest,
                                                   absl::string_view media_type,
                                                   absl::string_view bytes) {
  BERTH_ASSIGN_OR_RETURN(Endpoint endpoint, PushEndpoint(repo.domain));
  HttpRequest put{
      .method = "PUT",
      .url = absl::StrCat(endpoint.base_url, "/v2/", repo.path, "/manifests/", tag_or_digest),
      .headers = {absl::StrCat("Content-Type: ", media_type)},
      .body = std::string(bytes)};
  BERTH_ASSIGN_OR_RETURN(HttpResponse response,
                         Send(endpoint, {RepositoryScope(repo.path, true)}, std::move(put)));
  std::string what = absl::StrCat("pushing manifest ", repo.Name(), ":", tag_or_digest);
  if (response.status != 201) return RegistryError(response, what);
  Digest digest = Digest::Of(bytes);
  BERTH_RETURN_IF_ERROR(CheckStoredDigest(response, digest, what));
  return digest;
}

absl::StatusOr<std::vector<std::string>> RegistryClient::ListCatalog(absl::string_view host,
                                                                     int limit) {
  BERTH_ASSIGN_OR_RETURN(Endpoint endpoint, PushEndpoint(host));
  std::vector<std::string> names;
  // distribution refuses pages of more than 1000 entries (catalog.maxentries); the Link
  // header leads to the next page.
  std::string url = absl::StrCat(endpoint.base_url, "/v2/_catalog?n=", std::min(limit, 1000));
  while (!url.empty() && static_cast<int>(names.size()) < limit) {
    HttpRequest get{.method = "GET", .url = url};
    BERTH_ASSIGN_OR_RETURN(HttpResponse response,
                           Send(endpoint, {"registry:catalog:*"}, std::move(get)));
    if (response.status == 404) {
      return absl::UnimplementedError(
          absl::StrCat(host, " does not offer a repository list (/v2/_catalog)"));
    }
    if (response.status != 200) {
      return RegistryError(response, absl::StrCat(host, " refused to list its repositories"));
    }
    nlohmann::json json =
        nlohmann::json::parse(response.body.begin(), response.body.end(), nullptr, false);
    if (!json.is_object() || !json.contains("repositories") || !json["repositories"].is_array()) {
      return absl::UnknownError(absl::StrCat(host, ": malformed /v2/_catalog answer"));
    }
    for (const auto& name : json["repositories"]) {
      if (name.is_string() && static_cast<int>(names.size()) < limit) {
        names.push_back(name.get<std::string>());
      }
    }
    // Link: </v2/_catalog?last=x&n=100>; rel="next"
    std::string link = response.Header("link");
    size_t open = link.find('<'), close = link.find('>');
    url = open != std::string::npos && close > open && absl::StrContains(link, "rel=\"next\"")
              ? UploadUrl(endpoint.base_url, link.substr(open + 1, close - open - 1))
              : std::string();
  }
  return names;
}

absl::Status RegistryClient::CheckLogin(absl::string_view host, const Credentials& credentials) {
  BERTH_ASSIGN_OR_RETURN(Endpoint endpoint, PushEndpoint(host));
  HttpRequest ping{.method = "GET", .url = absl::StrCat(endpoint.base_url, "/v2/")};
  ping.tls = endpoint.tls;
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(ping));
  if (response.status == 200) return absl::OkStatus();  // the registry wants no login
  if (response.status != 401) return RegistryError(response, absl::StrCat("GET /v2/ on ", host));
  std::vector<AuthChallenge> challenges = ParseWwwAuthenticate(response.Header("www-authenticate"));
  if (challenges.empty()) return RegistryError(response, host);
  const AuthChallenge& challenge = challenges.front();
  // A token for no scope proves the credentials to a Bearer registry.
  BERTH_ASSIGN_OR_RETURN(std::string header, Authorize(endpoint, challenge, {}, credentials));
  ping.headers.push_back(header);
  BERTH_ASSIGN_OR_RETURN(response, http_.Send(ping));
  if (response.status == 401) return absl::UnauthenticatedError("incorrect username or password");
  if (response.status != 200) return RegistryError(response, absl::StrCat("GET /v2/ on ", host));
  return absl::OkStatus();
}

}  // namespace berth::images
