#include "services/images/core/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace berth::images {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxPooledHandles = 8;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// State shared with libcurl's callbacks for one transfer.
struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  absl::Status callback_error;  // from the sink or the body reader
  bool delivered = false;       // a body byte reached the sink
  bool status_checked = false;  // before_sink has run
  size_t body_offset = 0;       // into request->body
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  absl::string_view line(data, size * count);
  // A new status line starts the headers of the next response (redirects, 100-continue).
  if (absl::StartsWith(line, "HTTP/")) {
    t->response->headers.clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    t->response->headers.emplace(std::move(name), std::move(value));
  }
  return line.size();
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  bool success = status >= 200 && status < 300;
  if (t->request->sink && success) {
    if (!t->status_checked && t->request->before_sink) {
      t->status_checked = true;
      if (absl::Status s = t->request->before_sink(status); !s.ok()) {
        t->callback_error = std::move(s);
        return 0;
      }
    }
    absl::Status s = t->request->sink(absl::string_view(data, n));
    if (!s.ok()) {
      t->callback_error = std::move(s);
      return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    t->delivered = true;
    return n;
  }
  if (success || t->response->body.size() < kMaxErrorBody) t->response->body.append(data, n);
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t capacity = size * count;
  if (t->request->body.has_value()) {
    const std::string& body = *t->request->body;
    size_t n = std::min(capacity, body.size() - t->body_offset);
    std::memcpy(buffer, body.data() + t->body_offset, n);
    t->body_offset += n;
    return n;
  }
  absl::StatusOr<size_t> n = t->request->body_reader(buffer, capacity);
  if (!n.ok()) {
    t->callback_error = n.status();
    return CURL_READFUNC_ABORT;
  }
  return *n;
}

bool RetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string HttpResponse::Header(absl::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

std::vector<std::string> HttpResponse::Headers(absl::string_view name) const {
  std::vector<std::string> values;
  auto [begin, end] = headers.equal_range(std::string(name));
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

// Reset easy handles keep their connection cache, so reusing them reuses connections.
struct HttpClient::Pool {
  std::mutex mu;
  std::vector<CURL*> idle;

  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        CURL* curl = idle.back();
        idle.pop_back();
        return curl;
      }
    }
    return curl_easy_init();
  }
  void Release(CURL* curl) {
    curl_easy_reset(curl);
    std::lock_guard<std::mutex> lock(mu);
    if (idle.size() < kMaxPooledHandles) {
      idle.push_back(curl);
    } else {
      curl_easy_cleanup(curl);
    }
  }
  ~Pool() {
    for (CURL* curl : idle) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  GlobalInit();
}

HttpClient::~HttpClient() = default;

absl::StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  auto backoff = options_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    bool retryable = false, delivered = false;
    absl::StatusOr<HttpResponse> response = SendOnce(request, &retryable, &delivered);
    if (response.ok()) {
      retryable = response->status >= 500 || response->status == 429;
    }
    // A streamed body cannot be sent twice, nor can a sink take the same bytes twice.
    bool can_retry = retryable && !delivered && !request.body_reader;
    int max_attempts = request.max_attempts > 0 ? request.max_attempts : options_.max_attempts;
    if (!can_retry || attempt >= max_attempts) return response;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::StatusOr<HttpResponse> HttpClient::SendOnce(const HttpRequest& request, bool* retryable,
                                                  bool* delivered) {
  CURL* curl = pool_->Acquire();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  HttpResponse response;
  Transfer transfer;
  transfer.curl = curl;
  transfer.request = &request;
  transfer.response = &response;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (request.follow_redirects) {
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    // Registries redirect blob GETs to storage; the Authorization header stays behind
    // (libcurl only resends it to the same host).
  }
  if (!request.tls.ca_file.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, request.tls.ca_file.c_str());
  if (!request.tls.client_cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, request.tls.client_cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, request.tls.client_key.c_str());
  }
  if (request.tls.skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  std::unique_ptr<curl_slist, SlistFree> headers;
  auto add_header = [&headers](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  for (const std::string& h : request.headers) add_header(h);
  add_header("Expect:");  // no 100-continue round trip before bodies

  bool has_body = request.body.has_value() || static_cast<bool>(request.body_reader);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body || request.method == "PUT" || request.method == "PATCH" ||
             request.method == "POST") {
    // UPLOAD gives streaming through the read callback for every method; the custom
    // request line then names the real one.
    int64_t size = request.body.has_value() ? static_cast<int64_t>(request.body->size())
                                            : (request.body_reader ? request.body_size : 0);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    if (size >= 0) curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  char* effective_url = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective_url) == CURLE_OK &&
      effective_url != nullptr) {
    response.effective_url = effective_url;
  }
  *delivered = transfer.delivered;
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  pool_->Release(curl);

  if (!transfer.callback_error.ok()) return transfer.callback_error;
  if (code != CURLE_OK) {
    *retryable = RetryableCurlError(code);
    return absl::UnavailableError(absl::StrCat(request.method, " ", request.url, ": ", detail));
  }
  return response;
}

}  // namespace berth::images
