// A client of the OCI distribution API (Docker Registry HTTP API v2): resolve and fetch
// manifests and blobs, push blobs and manifests, list a catalog, check a login. Handles
// Basic and Bearer token auth, mirrors (pull only) and plain-HTTP registries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/images/core/digest.h"
#include "services/images/core/http_client.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/registry_auth.h"
#include "services/images/core/registry_hosts.h"

namespace berth::images {

struct RegistryClientOptions {
  HttpClientOptions http;
  // Credentials for a registry host; unset or nullopt means anonymous.
  std::function<absl::StatusOr<std::optional<Credentials>>(absl::string_view host)> credentials;
  // How a host is reached; unset means https, except loopback which may be plain http.
  std::function<RegistryHostConfig(absl::string_view host)> host_config;
  int64_t max_manifest_bytes = 4 << 20;
};

struct FetchBlobResult {
  int64_t bytes = 0;  // delivered to the sink by this call
  // The registry answered a Range request with the whole blob: nothing was delivered,
  // and the caller should truncate and fetch again from offset 0.
  bool range_ignored = false;
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryClientOptions options = {});
  ~RegistryClient();

  // The manifest or index `ref` names (by tag or digest): HEAD, then GET when the HEAD
  // does not say enough. Schema 1 is refused.
  absl::StatusOr<Descriptor> Resolve(const ImageReference& ref);

  // A manifest or index of `repo` (its domain and path), checked against the digest and size.
  absl::StatusOr<std::string> FetchManifest(const ImageReference& repo, const Descriptor& manifest);

  // Streams a blob to `sink` from `offset` (resuming with Range), following redirects.
  // From offset 0 the size and digest are checked at the end (DataLoss on mismatch);
  // from a later offset only the size is, and the caller re-hashes the whole.
  // `hash` false leaves the digest check to a sink that hashes anyway (the content store).
  absl::StatusOr<FetchBlobResult> FetchBlob(const ImageReference& repo, const Descriptor& blob,
                                            int64_t offset, const BodySink& sink,
                                            const std::function<void(int64_t done)>& progress = {},
                                            bool hash = true);

  absl::StatusOr<bool> BlobExists(const ImageReference& repo, const Digest& digest);

  // Uploads `size` bytes read from `reader`: one PUT when `chunk_size` is 0, otherwise
  // PATCHes of `chunk_size` bytes then a closing PUT.
  absl::Status UploadBlob(const ImageReference& repo, const Digest& digest, int64_t size,
                          const BodyReader& reader, int64_t chunk_size = 0);

  // Asks the registry to link a blob from another repository on it: true when mounted,
  // false when the caller must upload it.
  absl::StatusOr<bool> MountBlob(const ImageReference& repo, const Digest& digest,
                                 absl::string_view from_path);

  // Stores a manifest under a tag or digest; the registry's digest must equal ours.
  absl::StatusOr<Digest> PutManifest(const ImageReference& repo, absl::string_view tag_or_digest,
                                     absl::string_view media_type, absl::string_view bytes);

  // Up to `limit` repository names from /v2/_catalog.
  absl::StatusOr<std::vector<std::string>> ListCatalog(absl::string_view host, int limit);

  // Whether `credentials` are accepted by the registry (GET /v2/).
  absl::Status CheckLogin(absl::string_view host, const Credentials& credentials);

 private:
  struct Endpoint {
    std::string base_url;   // "https://host:port" or a mirror's URL
    std::string auth_host;  // whose credentials apply
    TlsSettings tls;
    bool mirror = false;
  };

  RegistryHostConfig HostConfig(absl::string_view host) const;
  absl::StatusOr<Endpoint> PushEndpoint(absl::string_view host);
  absl::StatusOr<std::vector<Endpoint>> PullEndpoints(absl::string_view host);
  absl::StatusOr<std::string> BaseUrl(absl::string_view host, const RegistryHostConfig& config);

  // Sends `request` to `endpoint` with auth for `scopes`, answering one 401 challenge.
  absl::StatusOr<HttpResponse> Send(const Endpoint& endpoint,
                                    const std::vector<std::string>& scopes, HttpRequest request);
  // The Authorization header for a challenge: basic credentials, or a fetched token.
  absl::StatusOr<std::string> Authorize(const Endpoint& endpoint, const AuthChallenge& challenge,
                                        const std::vector<std::string>& scopes,
                                        const std::optional<Credentials>& credentials);
  absl::StatusOr<std::optional<Credentials>> CredentialsFor(absl::string_view host) const;

  absl::StatusOr<Descriptor> ResolveAt(const Endpoint& endpoint, const ImageReference& ref);
  absl::StatusOr<FetchBlobResult> FetchBlobAt(const Endpoint& endpoint, const ImageReference& repo,
                                              const Descriptor& blob, int64_t offset,
                                              const BodySink& sink,
                                              const std::function<void(int64_t)>& progress,
                                              bool* delivered, bool hash);
  absl::StatusOr<std::string> StartUpload(const Endpoint& endpoint, const ImageReference& repo);

  RegistryClientOptions options_;
  HttpClient http_;
  TokenCache tokens_;
  std::mutex mu_;
  std::map<std::string, std::string> base_urls_;  // host → scheme://host, once probed
  std::set<std::string> basic_hosts_;             // hosts that asked for Basic auth
};

// "repository:<path>:pull" / ":pull,push"
std::string RepositoryScope(absl::string_view path, bool push);

// An absl::Status for a registry's error answer: the code from the HTTP status, the
// message from its {"errors":[{"code","message"}]} body.
absl::Status RegistryError(const HttpResponse& response, absl::string_view what);

}  // namespace berth::images
