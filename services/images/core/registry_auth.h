// Registry authentication: WWW-Authenticate challenges (Basic and Bearer), the token
// server's answer, and a cache of bearer tokens per host and scope.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace berth::images {

struct Credentials {
  std::string username;
  std::string password;

  friend bool operator==(const Credentials&, const Credentials&) = default;
};

struct AuthChallenge {
  std::string scheme;                         // lowercased: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lowercased: realm, service, scope, error

  std::string Param(absl::string_view key) const;
};

// Parses a WWW-Authenticate value: `Bearer realm="https://auth",service="reg",scope="…"`,
// `Basic realm="x"`; several challenges may be comma-separated.
std::vector<AuthChallenge> ParseWwwAuthenticate(absl::string_view header);

// "Authorization: Basic <base64(user:pass)>"
std::string BasicAuthorization(const Credentials& credentials);

// The token request URL for a Bearer challenge, asking for `scopes` (the challenge's own
// scope is added when it is not among them).
std::string TokenRequestUrl(const AuthChallenge& challenge, const std::vector<std::string>& scopes);

struct BearerToken {
  std::string token;
  absl::Time expires;
};

// The token server's JSON answer: "token" or "access_token", "expires_in" (seconds,
// default 60 as the distribution spec says).
absl::StatusOr<BearerToken> ParseTokenResponse(absl::string_view body, absl::Time now);

// Bearer tokens by (host, scope), dropped a little before they expire.
class TokenCache {
 public:
  std::optional<std::string> Get(const std::string& host, const std::string& scope, absl::Time now);
  void Put(const std::string& host, const std::string& scope, BearerToken token);

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, BearerToken> tokens_;
};

}  // namespace berth::images
