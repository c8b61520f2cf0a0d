#include "services/images/core/registry_auth.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace berth::images {
namespace {

constexpr absl::Duration kDefaultTokenLifetime = absl::Seconds(60);
constexpr absl::Duration kExpiryMargin = absl::Seconds(10);

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(c) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

std::string UrlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%", absl::AsciiStrToUpper(absl::BytesToHexString(std::string(1, c))));
    }
  }
  return out;
}

}  // namespace

std::string AuthChallenge::Param(absl::string_view key) const {
  auto it = params.find(std::string(key));
  return it == params.end() ? std::string() : it->second;
}

std::vector<AuthChallenge> ParseWwwAuthenticate(absl::string_view header) {
  std::vector<AuthChallenge> challenges;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
  };
  auto token = [&] {
    size_t start = i;
    while (i < header.size() && IsTokenChar(header[i])) ++i;
    return std::string(header.substr(start, i - start));
  };
  while (i < header.size()) {
    skip_space();
    if (i < header.size() && header[i] == ',') {
      ++i;
      continue;
    }
    std::string word = token();
    if (word.empty()) break;
    skip_space();
    // "key=" after a word means a parameter of the current challenge, not a new scheme.
    if (i < header.size() && header[i] == '=' && !challenges.empty()) {
      ++i;
      skip_space();
      std::string value;
      if (i < header.size() && header[i] == '"') {
        for (++i; i < header.size() && header[i] != '"'; ++i) {
          if (header[i] == '\\' && i + 1 < header.size()) ++i;
          value.push_back(header[i]);
        }
        ++i;  // the closing quote
      } else {
        while (i < header.size() && header[i] != ',' && header[i] != ' ')
          value.push_back(header[i++]);
      }
      challenges.back().params[absl::AsciiStrToLower(word)] = value;
      continue;
    }
    challenges.push_back({absl::AsciiStrToLower(word), {}});
  }
  return challenges;
}

std::string BasicAuthorization(const Credentials& credentials) {
  return absl::StrCat(
      "Authorization: Basic ",
      absl::Base64Escape(absl::StrCat(credentials.username, ":", credentials.password)));
}

std::string TokenRequestUrl(const AuthChallenge& challenge,
                            const std::vector<std::string>& scopes) {
  std::string url = challenge.Param("realm");
  char separator = url.find('?') == std::string::npos ? '?' : '&';
  auto add = [&](absl::string_view key, absl::string_view value) {
    absl::StrAppend(&url, std::string(1, separator), key, "=", UrlEscape(value));
    separator = '&';
  };
  if (std::string service = challenge.Param("service"); !service.empty()) add("service", service);
  bool has_challenge_scope = false;
  std::string challenge_scope = challenge.Param("scope");
  for (const std::string& scope : scopes) {
    if (scope.empty()) continue;
    add("scope", scope);
    has_challenge_scope = has_challenge_scope || scope == challenge_scope;
  }
  if (!challenge_scope.empty() && !has_challenge_scope) add("scope", challenge_scope);
  return url;
}

absl::StatusOr<BearerToken> ParseTokenResponse(absl::string_view body, absl::Time now) {
  nlohmann::json json = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::UnauthenticatedError("token server answered with malformed JSON");
  }
  BearerToken token;
  for (const char* key : {"token", "access_token"}) {
    auto it = json.find(key);
    if (it != json.end() && it->is_string() && !it->get<std::string>().empty()) {
      token.token = it->get<std::string>();
      break;
    }
  }
  if (token.token.empty()) {
    return absl::UnauthenticatedError("token server answered without a token");
  }
  absl::Duration lifetime = kDefaultTokenLifetime;
  if (auto it = json.find("expires_in");
      it != json.end() && it->is_number_integer() && it->get<int64_t>() > 0) {
    lifetime = absl::Seconds(it->get<int64_t>());
  }
  token.expires = now + lifetime;
  return token;
}

std::optional<std::string> TokenCache::Get(const std::string& host, const std::string& scope,
                                           absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find({host, scope});
  if (it == tokens_.end()) return std::nullopt;
  if (it->second.expires - kExpiryMargin <= now) {
    tokens_.erase(it);
    return std::nullopt;
  }
  return it->second.token;
}

void TokenCache::Put(const std::string& host, const std::string& scope, BearerToken token) {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_[{host, scope}] = std::move(token);
}

}  // namespace berth::images
