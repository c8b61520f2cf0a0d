// HTTP requests over libcurl for the registry client: streamed bodies both ways, pooled
// handles (so connections are reused), HTTP/2 where the server offers it, and retries
// with exponential backoff on connect errors, 5xx and 429.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::images {

// TLS settings for one endpoint; empty paths mean the system's defaults.
struct TlsSettings {
  std::string ca_file;
  std::string client_cert;
  std::string client_key;
  bool skip_verify = false;
};

// Fills `buffer` with up to `capacity` bytes; 0 at the end.
using BodyReader = std::function<absl::StatusOr<size_t>(char* buffer, size_t capacity)>;
// Takes the next piece of a response body; an error stops the transfer and is returned.
using BodySink = std::function<absl::Status(absl::string_view data)>;

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;
  std::vector<std::string> headers{};  // "Name: value"
  std::optional<std::string> body{};   // sent as is; retried requests resend it
  BodyReader body_reader{};            // streamed instead of `body`; never retried
  int64_t body_size = -1;              // with body_reader: Content-Length
  BodySink sink{};                     // 2xx bodies go here; others are kept in `body`
  // Called with the status once, before a 2xx body's first byte reaches the sink; an
  // error stops the transfer (a registry answering a Range request with 200).
  std::function<absl::Status(long status)> before_sink{};
  bool follow_redirects = false;
  TlsSettings tls{};
  int max_attempts = 0;  // 0: the client's default
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lowercased; the final response's
  std::string body;  // the whole body, or without a sink only the error body of a non-2xx
  std::string effective_url;

  // The first value of `name` (lowercase), "" when absent.
  std::string Header(absl::string_view name) const;
  std::vector<std::string> Headers(absl::string_view name) const;
};

struct HttpClientOptions {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{8000};
  std::chrono::seconds connect_timeout{30};
  // A transfer slower than 1 byte/s for this long is abandoned: the no-progress timeout.
  std::chrono::seconds stall_timeout{60};
  std::string user_agent = "berth";
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request`, retrying as above while no body byte has reached the sink. A
  // transport failure is Unavailable naming the URL; any HTTP status is a response.
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request);

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Pool;
  absl::StatusOr<HttpResponse> SendOnce(const HttpRequest& request, bool* retryable,
                                        bool* delivered);

  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace berth::images
