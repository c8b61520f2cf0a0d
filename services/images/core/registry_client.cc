#include "services/images/core/registry_client.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

constexpr absl::string_view kDockerHubApiHost = "registry-1.docker.io";

std::string ApiHost(absl::string_view host) {
  if (host == kDockerHubDomain || host == "index.docker.io") return std::string(kDockerHubApiHost);
  return std::string(host);
}

absl::StatusCode CodeForHttpStatus(long status) {
  switch (status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kAlreadyExists;
    case 416:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      return status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kUnknown;
  }
}

// The media type of a Content-Type value, without parameters.
std::string MediaTypeOf(absl::string_view content_type) {
  return std::string(absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';'))));
}

bool KnownManifestType(absl::string_view type) {
  return IsIndexMediaType(type) || IsManifestMediaType(type);
}

}  // namespace

std::string RepositoryScope(absl::string_view path, bool push) {
  return absl::StrCat("repository:", path, push ? ":pull,push" : ":pull");
}

absl::Status RegistryError(const HttpResponse& response, absl::string_view what) {
  std::vector<std::string> messages;
  nlohmann::json json =
      nlohmann::json::parse(response.body.begin(), response.body.end(), nullptr, false);
  if (json.is_object() && json.contains("errors") && json["errors"].is_array()) {
    for (const auto& error : json["errors"]) {
      if (!error.is_object()) continue;
      std::string code = error.value("code", "");
      std::string message = error.value("message", "");
      if (!code.empty()) {
        code = absl::AsciiStrToLower(code);
        std::replace(code.begin(), code.end(), '_', ' ');
      }
      messages.push_back(code.empty() || code == message ? message
                                                         : absl::StrCat(code, ": ", message));
    }
  }
  std::string detail =
      messages.empty() ? absl::StrCat("HTTP ", response.status) : absl::StrJoin(messages, "; ");
  return absl::Status(CodeForHttpStatus(response.status), absl::StrCat(what, ": ", detail));
}

RegistryClient::RegistryClient(RegistryClientOptions options)
    : options_(std::move(options)), http_(options_.http) {}

RegistryClient::~RegistryClient() = default;

RegistryHostConfig RegistryClient::HostConfig(absl::string_view host) const {
  if (options_.host_config) return options_.host_config(host);
  RegistryHostConfig config;
  std::string name = HostWithoutPort(host);
  config.insecure = name == "localhost" || absl::StartsWith(name, "127.") || name == "::1";
  config.skip_verify = config.insecure;
  return config;
}

absl::StatusOr<std::optional<Credentials>> RegistryClient::CredentialsFor(
    absl::string_view host) const {
  if (!options_.credentials) return std::nullopt;
  return options_.credentials(host);
}

absl::StatusOr<std::string> RegistryClient::BaseUrl(absl::string_view host,
                                                    const RegistryHostConfig& config) {
  std::string api_host = ApiHost(host);
  if (!config.insecure) return absl::StrCat("https://", api_host);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = base_urls_.find(api_host); it != base_urls_.end()) return it->second;
  }
  // An insecure registry may speak TLS (unverified) or plain HTTP; TLS is tried first.
  HttpRequest probe;
  probe.url = absl::StrCat("https://", api_host, "/v2/");
  // The probe presents the host's client certificate: a registry that requires one
  // refuses the handshake otherwise, and plain HTTP would be chosen by mistake.
  probe.tls = {config.ca_file, config.client_cert, config.client_key, /*skip_verify=*/true};
  probe.max_attempts = 1;
  absl::StatusOr<HttpResponse> response = http_.Send(probe);
  if (!response.ok()) {
    // Plain HTTP only if the port speaks it: a TLS-only registry answers 400 to HTTP, and
    // then the TLS failure is the error to report.
    HttpRequest plain;
    plain.url = absl::StrCat("http://", api_host, "/v2/");
    plain.max_attempts = 1;
    absl::StatusOr<HttpResponse> answer = http_.Send(plain);
    if (answer.ok() && answer->status == 400 && absl::StrContains(answer->body, "HTTPS")) {
      return absl::UnavailableError(absl::StrCat("TLS handshake with ", host, " failed (",
                                                 response.status().message(),
                                                 "); check its certs.d entry"));
    }
  }
  std::string base = absl::StrCat(response.ok() ? "https://" : "http://", api_host);
  std::lock_guard<std::mutex> lock(mu_);
  base_urls_[api_host] = base;
  return base;
}

absl::StatusOr<RegistryClient::Endpoint> RegistryClient::PushEndpoint(absl::string_view host) {
  RegistryHostConfig config = HostConfig(host);
  Endpoint endpoint;
  BERTH_ASSIGN_OR_RETURN(endpoint.base_url, BaseUrl(host, config));
  endpoint.auth_host = std::string(host);
  endpoint.tls = {config.ca_file, config.client_cert, config.client_key, config.skip_verify};
  return endpoint;
}

absl::StatusOr<std::vector<RegistryClient::Endpoint>> RegistryClient::PullEndpoints(
    absl::string_view host) {
  RegistryHostConfig config = HostConfig(host);
  std::vector<Endpoint> endpoints;
  for (const std::string& mirror : config.mirrors) {
    Endpoint endpoint;
    endpoint.base_url = std::string(absl::StripSuffix(mirror, "/"));
    absl::string_view mirror_host = endpoint.base_url;
    absl::ConsumePrefix(&mirror_host, "https://") || absl::ConsumePrefix(&mirror_host, "http://");
    endpoint.auth_host = std::string(mirror_host.substr(0, mirror_host.find('/')));
    endpoint.mirror = true;
    endpoints.push_back(std::move(endpoint));
  }
  BERTH_ASSIGN_OR_RETURN(Endpoint upstream, PushEndpoint(host));
  endpoints.push_back(std::move(upstream));
  return endpoints;
}

absl::StatusOr<std::string> RegistryClient::Authorize(
    const Endpoint& endpoint, const AuthChallenge& challenge,
    const std::vector<std::string>& scopes, const std::optional<Credentials>& credentials) {
  if (challenge.scheme == "basic") {
    if (!credentials.has_value()) {
      return absl::UnauthenticatedError("unauthorized: authentication required");
    }
    std::lock_guard<std::mutex> lock(mu_);
    basic_hosts_.insert(endpoint.auth_host);
    return BasicAuthorization(*credentials);
  }
  if (challenge.Param("realm").empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat(endpoint.auth_host, " asked for ", challenge.scheme, " auth without a realm"));
  }
  HttpRequest request;
  request.url = TokenRequestUrl(challenge, scopes);
  request.tls = endpoint.tls;
  if (credentials.has_value()) request.headers.push_back(BasicAuthorization(*credentials));
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
  if (response.status == 401 || response.status == 403) {
    return absl::UnauthenticatedError(credentials.has_value()
                                          ? "incorrect username or password"
                                          : "unauthorized: authentication required");
  }
  if (response.status != 200) return RegistryError(response, "token server");
  BERTH_ASSIGN_OR_RETURN(BearerToken token, ParseTokenResponse(response.body, absl::Now()));
  std::string header = absl::StrCat("Authorization: Bearer ", token.token);
  tokens_.Put(endpoint.auth_host, absl::StrJoin(scopes, " "), std::move(token));
  return header;
}

absl::StatusOr<HttpResponse> RegistryClient::Send(const Endpoint& endpoint,
                                                  const std::vector<std::string>& scopes,
                                                  HttpRequest request) {
  request.tls = endpoint.tls;
  std::string scope_key = absl::StrJoin(scopes, " ");
  std::optional<std::string> authorization =
      tokens_.Get(endpoint.auth_host, scope_key, absl::Now());
  bool basic_host;
  {
    std::lock_guard<std::mutex> lock(mu_);
    basic_host = basic_hosts_.count(endpoint.auth_host) > 0;
  }
  if (authorization.has_value()) {
    authorization = absl::StrCat("Authorization: Bearer ", *authorization);
  } else if (basic_host) {
    BERTH_ASSIGN_OR_RETURN(std::optional<Credentials> credentials,
                           CredentialsFor(endpoint.auth_host));
    if (credentials.has_value()) authorization = BasicAuthorization(*credentials);
  }
  HttpRequest first = request;
  if (authorization.has_value()) first.headers.push_back(*authorization);
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(first));
  if (response.status != 401) return response;

  std::vector<AuthChallenge> challenges = ParseWwwAuthenticate(response.Header("www-authenticate"));
  const AuthChallenge* challenge = nullptr;
  for (const AuthChallenge& c : challenges) {
    if (c.scheme == "bearer" || (c.scheme == "basic" && challenge == nullptr)) challenge = &c;
  }
  if (challenge == nullptr) return RegistryError(response, endpoint.auth_host);
  if (request.body_reader) {
    return absl::UnauthenticatedError(
        absl::StrCat(endpoint.auth_host, ": unauthorized: authentication required"));
  }
  BERTH_ASSIGN_OR_RETURN(std::optional<Credentials> credentials,
                         CredentialsFor(endpoint.auth_host));
  BERTH_ASSIGN_OR_RETURN(std::string header, Authorize(endpoint, *challenge, scopes, credentials));
  request.headers.push_back(header);
  BERTH_ASSIGN_OR_RETURN(response, http_.Send(request));
  if (response.status == 401) {
    return absl::UnauthenticatedError(credentials.has_value()
                                          ? "incorrect username or password"
                                          : "unauthorized: authentication required");
  }
  return response;
}

absl::StatusOr<Descriptor> RegistryClient::Resolve(const ImageReference& ref) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Endpoint> endpoints, PullEndpoints(ref.domain));
  absl::Status last;
  for (const Endpoint& endpoint : endpoints) {
    absl::StatusOr<Descriptor> descriptor = ResolveAt(endpoint, ref);
    // A schema 1 image is the image's problem, not the mirror's: no point going on.
    if (descriptor.ok() || descriptor.status().code() == absl::StatusCode::kFailedPrecondition) {
      return descriptor;
    }
    last = descriptor.status();
  }
  return last;
}

absl::StatusOr<Descriptor> RegistryClient::ResolveAt(const Endpoint& endpoint,
                                                     const ImageReference& ref) {
  std::string url =
      absl::StrCat(endpoint.base_url, "/v2/", ref.path, "/manifests/", ref.TagOrDigest());
  std::vector<std::string> scopes = {RepositoryScope(ref.path, false)};
  std::string accept = absl::StrCat("Accept: ", ManifestAcceptHeader());
  auto not_found = [&](const HttpResponse& response) {
    return RegistryError(response,
                         absl::StrCat("manifest for ", ref.FamiliarString(), " not found"));
  };

  HttpRequest head{.method = "HEAD", .url = url, .headers = {accept}};
  BERTH_ASSIGN_OR_RETURN(HttpResponse response, Send(endpoint, scopes, head));
  if (response.status == 404) return not_found(response);
  if (response.status == 200) {
    std::string type = MediaTypeOf(response.Header("content-type"));
    if (IsSchema1MediaType(type)) return Schema1Error(type);
    int64_t size = -1;
    absl::SimpleAtoi(response.Header("content-length"), &size);
    absl::StatusOr<Digest> digest = ref.digest.empty()
                                        ? Digest::Parse(response.Header("docker-content-digest"))
                                        : absl::StatusOr<Digest>(ref.digest);
    if (KnownManifestType(type) && digest.ok() && size > 0) {
      return Descriptor{.media_type = type, .digest = *digest, .size = size};
    }
  }
  // The HEAD did not say enough (no digest header, a generic Content-Type): GET it.
  HttpRequest get{.method = "GET", .url = url, .headers = {accept}};
  BERTH_ASSIGN_OR_RETURN(response, Send(endpoint, scopes, get));
  if (response.status == 404) return not_found(response);
  if (response.status != 200) return RegistryError(response, absl::StrCat("GET ", url));
  if (static_cast<int64_t>(response.body.size()) > options_.max_manifest_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("manifest for ", ref.String(), " is over ",
                                                     options_.max_manifest_bytes, " bytes"));
  }
  std::string type = MediaTypeOf(response.Header("content-type"));
  if (!KnownManifestType(type)) {
    BERTH_ASSIGN_OR_RETURN(type, DetectManifestMediaType(response.body));
  }
  Digest digest = Digest::Of(response.body);
  if (!ref.digest.empty() && digest != ref.digest) {
    return absl::DataLossError(absl::StrCat("manifest for ", ref.String(), " has digest ",
                                            digest.str(), ", not the one asked for"));
  }
  return Descriptor{
      .media_type = type, .digest = digest, .size = static_cast<int64_t>(response.body.size())};
}

absl::StatusOr<std::string> RegistryClient::FetchManifest(const ImageReference& repo,
                                                          const Descriptor& manifest) {
  if (manifest.size > options_.max_manifest_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "manifest ", manifest.digest.str(), " is over ", options_.max_manifest_bytes, " bytes"));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<Endpoint> endpoints, PullEndpoints(repo.domain));
  absl::Status last;
  for (const Endpoint& endpoint : endpoints) {
    std::string url =
        absl::StrCat(endpoint.base_url, "/v2/", repo.path, "/manifests/", manifest.digest.str());
    HttpRequest get{
        .method = "GET",
        .url = url,
        .headers = {absl::StrCat("Accept: ", manifest.media_type, ", ", ManifestAcceptHeader())}};
    absl::StatusOr<HttpResponse> response =
        Send(endpoint, {RepositoryScope(repo.path, false)}, get);
    if (!response.ok()) {
      last = response.status();
      continue;
    }
    if (response->status != 200) {
      last = RegistryError(*response, absl::StrCat("manifest ", manifest.digest.str()));
      continue;
    }
    Digest digest = Digest::Of(response->body);
    if (digest != manifest.digest || static_cast<int64_t>(response->body.size()) != manifest.size) {
      return absl::DataLossError(absl::StrCat(
          "manifest ", manifest.digest.str(), " from ", endpoint.auth_host, ": got ",
          response->body.size(), " bytes with digest ", digest.str(), ", want ", manifest.size));
    }
    return std::move(response->body);
  }
  return last;
}

absl::StatusOr<FetchBlobResult> RegistryClient::FetchBlob(
    const ImageReference& repo, const Descriptor& blob, int64_t offset, const BodySink& sink,
    const std::function<void(int64_t)>& progress, bool hash) {
  if (offset < 0 || offset > blob.size) {
    return absl::InvalidArgumentError(
        absl::StrCat("offset ", offset, " is outside blob ", blob.digest.str()));
  }
  if (offset == blob.size && offset > 0) return FetchBlobResult{};
  BERTH_ASSIGN_OR_RETURN(std::vector<Endpoint> endpoints, PullEndpoints(repo.domain));
  absl::Status last;
  for (const Endpoint& endpoint : endpoints) {
    bool delivered = false;
    absl::StatusOr<FetchBlobResult> result =
        FetchBlobAt(endpoint, repo, blob, offset, sink, progress, &delivered, hash);
    // Once bytes reached the sink another endpoint cannot continue where this stopped.
    if (result.ok() || delivered) return result;
    last = result.status();
  }
  return last;
}

absl::StatusOr<FetchBlobResult> RegistryClient::FetchBlobAt(
    const Endpoint& endpoint, const ImageReference& repo, const Descriptor& blob, int64_t offset,
    const BodySink& sink, const std::function<void(int64_t)>& progress, bool* delivered,
    bool hash) {
  FetchBlobResult result;
  Sha256Hasher hasher;
  HttpRequest get;
  get.url = absl::StrCat(endpoint.base_url, "/v2/", repo.path, "/blobs/", blob.digest.str());
  get.follow_redirects = true;
  if (offset > 0) get.headers.push_back(absl::StrCat("Range: bytes=", offset, "-"));
  const absl::Status range_ignored = absl::AbortedError("registry ignored the Range request");
  get.before_sink = [&](long status) -> absl::Status {
    if (offset > 0 && status == 200) {
      result.range_ignored = true;
      return range_ignored;
    }
    if (offset > 0 && status != 206) {
      return absl::UnknownError(absl::StrCat("unexpected HTTP ", status, " to a Range request"));
    }
    return absl::OkStatus();
  };
  get.sink = [&](absl::string_view data) -> absl::Status {
    if (offset + result.bytes + static_cast<int64_t>(data.size()) > blob.size) {
      return absl::DataLossError(absl::StrCat("blob ", blob.digest.str(), " from ",
                                              endpoint.auth_host, " is longer than ", blob.size,
                                              " bytes"));
    }
    if (offset == 0 && hash) hasher.Update(data);
    BERTH_RETURN_IF_ERROR(sink(data));
    *delivered = true;
    result.bytes += static_cast<int64_t>(data.size());
    if (progress) progress(offset + result.bytes);
    return absl::OkStatus();
  };
  absl::StatusOr<HttpResponse> response =
      Send(endpoint, {RepositoryScope(repo.path, false)}, std::move(get));
  if (result.range_ignored) return FetchBlobResult{.bytes = 0, .range_ignored = true};
  if (!response.ok()) return response.status();
  if (response->status != 200 && response->status != 206) {
    return RegistryError(*response, absl::StrCat("blob ", blob.digest.str()));
  }
  if (offset + result.bytes != blob.size) {
    return absl::DataLossError(absl::StrCat("blob ", blob.digest.str(), " from ",
                                            endpoint.auth_host, ": got ", offset + result.bytes,
                                            " bytes, want ", blob.size));
  }
  if (offset == 0 && hash) {
    Digest got = hasher.Finish();
    if (got != blob.digest) {
      return absl::DataLossError(absl::StrCat("blob ", blob.digest.str(), " from ",
                                              endpoint.auth_host, ": digest mismatch, got ",
                                              got.str()));
    }
  }
  return result;
}

}  // namespace berth::images
