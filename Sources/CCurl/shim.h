// libcurl, the HTTP(S) client library (Debian: libcurl4-openssl-dev), plus static inline
// wrappers for its variadic calls, which Swift cannot make: one per argument type, so each
// call passes exactly the type libcurl reads for that option.
#ifndef PRINTER_AGENT_CCURL_SHIM_H
#define PRINTER_AGENT_CCURL_SHIM_H
#include <curl/curl.h>

/// curl_easy_setopt for an option that takes a long.
static inline CURLcode agent_curl_easy_setopt_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}

/// curl_easy_setopt for an option that takes a curl_off_t (the *_LARGE options).
static inline CURLcode agent_curl_easy_setopt_offset(CURL *easy, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(easy, option, value);
}

/// curl_easy_setopt for an option that takes a string (libcurl copies it) or NULL.
static inline CURLcode agent_curl_easy_setopt_string(CURL *easy, CURLoption option, const char *value) {
    return curl_easy_setopt(easy, option, value);
}

/// curl_easy_setopt for an option that takes a data pointer (WRITEDATA, ERRORBUFFER).
static inline CURLcode agent_curl_easy_setopt_pointer(CURL *easy, CURLoption option, void *value) {
    return curl_easy_setopt(easy, option, value);
}

/// curl_easy_setopt(CURLOPT_WRITEFUNCTION): the callback that receives the body.
static inline CURLcode agent_curl_easy_setopt_write_function(CURL *easy, curl_write_callback callback) {
    return curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, callback);
}

/// curl_multi_setopt for an option that takes a data pointer (SOCKETDATA, TIMERDATA).
static inline CURLMcode agent_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}

/// curl_multi_setopt(CURLMOPT_SOCKETFUNCTION): told which sockets to watch for what.
static inline CURLMcode agent_curl_multi_setopt_socket_function(CURLM *multi, curl_socket_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback);
}

/// curl_multi_setopt(CURLMOPT_TIMERFUNCTION): told when to call back on a timeout.
static inline CURLMcode agent_curl_multi_setopt_timer_function(CURLM *multi, curl_multi_timer_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback);
}

/// curl_easy_getinfo for an item that answers a long (CURLINFO_RESPONSE_CODE).
static inline CURLcode agent_curl_easy_getinfo_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}

/// curl_easy_getinfo for an item that answers a curl_off_t (the *_T items).
static inline CURLcode agent_curl_easy_getinfo_offset(CURL *easy, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(easy, info, value);
}

#endif
