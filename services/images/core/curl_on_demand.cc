// libcurl's entry points that http_client.cc calls, loaded with dlopen() on first use.
//
// libcurl and what it links (OpenSSL's libssl, GnuTLS through librtmp, Kerberos, LDAP,
// libssh2, nghttp2, libpsl, libidn2, p11-kit: 25 libraries in Debian) cost berthd about
// 4.5 MiB of RSS and their relocations at start-up, in every berthd, also one that
// never talks to a registry. These definitions stand in for libcurl's own: the first
// call opens libcurl.so.4 and each forwards to the real function. Without libcurl
// installed, curl_global_init fails and curl_easy_init returns null, which the HTTP
// client reports as an error of the request.
// These are the definitions, not calls: curl.h's type-checking macros stay out of it.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>

namespace {

struct CurlLibrary {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

template <typename F>
bool Find(void* handle, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(handle, name));
  return out != nullptr;
}

// Null when libcurl cannot be loaded or lacks one of them.
const CurlLibrary* Curl() {
  static const CurlLibrary* library = []() -> const CurlLibrary* {
    void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return nullptr;
    static CurlLibrary found;
    if (Find(handle, "curl_global_init", found.global_init) &&
        Find(handle, "curl_easy_init", found.easy_init) &&
        Find(handle, "curl_easy_cleanup", found.easy_cleanup) &&
        Find(handle, "curl_easy_reset", found.easy_reset) &&
        Find(handle, "curl_easy_perform", found.easy_perform) &&
        Find(handle, "curl_easy_setopt", found.easy_setopt) &&
        Find(handle, "curl_easy_getinfo", found.easy_getinfo) &&
        Find(handle, "curl_easy_strerror", found.easy_strerror) &&
        Find(handle, "curl_slist_append", found.slist_append) &&
        Find(handle, "curl_slist_free_all", found.slist_free_all)) {
      return &found;
    }
    ::dlclose(handle);
    return nullptr;
  }();
  return library;
}

}  // namespace

extern "C" {

CURLcode curl_global_init(long flags) {
  return Curl() != nullptr ? Curl()->global_init(flags) : CURLE_FAILED_INIT;
}

CURL* curl_easy_init() { return Curl() != nullptr ? Curl()->easy_init() : nullptr; }

// The functions below only ever get a handle curl_easy_init made, so libcurl is loaded.
void curl_easy_cleanup(CURL* curl) { Curl()->easy_cleanup(curl); }

void curl_easy_reset(CURL* curl) { Curl()->easy_reset(curl); }

CURLcode curl_easy_perform(CURL* curl) { return Curl()->easy_perform(curl); }

// Every option takes one argument, whose type its number's range gives (as libcurl's own
// curl_easy_setopt reads it): a long, an object or function pointer, or a curl_off_t.
CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  va_list args;
  va_start(args, option);
  CURLcode code;
  if (option < CURLOPTTYPE_OBJECTPOINT) {
    code = Curl()->easy_setopt(curl, option, va_arg(args, long));
  } else if (option < CURLOPTTYPE_OFF_T) {
    code = Curl()->easy_setopt(curl, option, va_arg(args, void*));
  } else if (option < CURLOPTTYPE_BLOB) {
    code = Curl()->easy_setopt(curl, option, va_arg(args, curl_off_t));
  } else {
    code = Curl()->easy_setopt(curl, option, va_arg(args, void*));
  }
  va_end(args);
  return code;
}

// Every CURLINFO takes a pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  va_list args;
  va_start(args, info);
  void* out = va_arg(args, void*);
  va_end(args);
  return Curl()->easy_getinfo(curl, info, out);
}

const char* curl_easy_strerror(CURLcode code) {
  return Curl() != nullptr ? Curl()->easy_strerror(code) : "libcurl.so.4 could not be loaded";
}

curl_slist* curl_slist_append(curl_slist* list, const char* text) {
  return Curl() != nullptr ? Curl()->slist_append(list, text) : nullptr;
}

void curl_slist_free_all(curl_slist* list) {
  if (list != nullptr) Curl()->slist_free_all(list);
}

}  // extern "C"
