// libcurl, the HTTP(S) client library (Debian: libcurl4-openssl-dev), loaded on first use.
//
// The agent does not link libcurl: it opens libcurl.so.4 with dlopen when it first downloads
// something. A distribution's libcurl loads many libraries of its own (Debian's: about 30,
// 4 MB resident, 0.7 MB of it private); a printer that never downloads never pays for them,
// and the idle agent stays the size of an MQTT client. The functions used are looked up
// once; each wrapper below calls through that table, and answers an error (or NULL) when
// libcurl cannot be loaded. The setopt and getinfo wrappers exist anyway because those
// calls are variadic, which Swift cannot make: one per argument type, so each call passes
// exactly the type libcurl reads for that option.
#ifndef PRINTER_AGENT_CCURL_SHIM_H
#define PRINTER_AGENT_CCURL_SHIM_H
#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>

/// The libcurl functions the agent calls.
struct agent_curl_functions {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *easy);
    CURLcode (*easy_setopt)(CURL *easy, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *easy, CURLINFO info, ...);
    CURLHcode (*easy_header)(CURL *easy, const char *name, size_t index, unsigned int origin, int request,
                             struct curl_header **header);
    const char *(*easy_strerror)(CURLcode code);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *multi);
    CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
    CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
    CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
    CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t socket, int events, int *running);
    CURLMsg *(*multi_info_read)(CURLM *multi, int *queued);
    const char *(*multi_strerror)(CURLMcode code);
};

/// libcurl's functions, loaded on the first call (NULL when libcurl.so.4 cannot be loaded or
/// lacks one of them; `agent_curl_load_error` says why).
static inline const struct agent_curl_functions *agent_curl(void) {
    static struct agent_curl_functions table;
    static int state; // 0 not tried, 1 loaded, -1 failed
    if (state == 0) {
        void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        state = -1;
        if (library == NULL) return NULL;
#define AGENT_CURL_LOOKUP(field, symbol) \
        if ((*(void **)&table.field = dlsym(library, symbol)) == NULL) return NULL;
        AGENT_CURL_LOOKUP(global_init, "curl_global_init")
        AGENT_CURL_LOOKUP(easy_init, "curl_easy_init")
        AGENT_CURL_LOOKUP(easy_cleanup, "curl_easy_cleanup")
        AGENT_CURL_LOOKUP(easy_setopt, "curl_easy_setopt")
        AGENT_CURL_LOOKUP(easy_getinfo, "curl_easy_getinfo")
        AGENT_CURL_LOOKUP(easy_header, "curl_easy_header")
        AGENT_CURL_LOOKUP(easy_strerror, "curl_easy_strerror")
        AGENT_CURL_LOOKUP(multi_init, "curl_multi_init")
        AGENT_CURL_LOOKUP(multi_cleanup, "curl_multi_cleanup")
        AGENT_CURL_LOOKUP(multi_add_handle, "curl_multi_add_handle")
        AGENT_CURL_LOOKUP(multi_remove_handle, "curl_multi_remove_handle")
        AGENT_CURL_LOOKUP(multi_setopt, "curl_multi_setopt")
        AGENT_CURL_LOOKUP(multi_socket_action, "curl_multi_socket_action")
        AGENT_CURL_LOOKUP(multi_info_read, "curl_multi_info_read")
        AGENT_CURL_LOOKUP(multi_strerror, "curl_multi_strerror")
#undef AGENT_CURL_LOOKUP
        state = 1;
    }
    return state == 1 ? &table : NULL;
}

/// Why libcurl could not be loaded (dlerror's text), or NULL.
static inline const char *agent_curl_load_error(void) { return dlerror(); }

/// curl_global_init, or CURLE_FAILED_INIT without libcurl.
static inline CURLcode agent_curl_global_init(long flags) {
    return agent_curl() ? agent_curl()->global_init(flags) : CURLE_FAILED_INIT;
}

/// curl_easy_init, or NULL without libcurl.
static inline CURL *agent_curl_easy_init(void) { return agent_curl() ? agent_curl()->easy_init() : NULL; }

/// curl_easy_cleanup.
static inline void agent_curl_easy_cleanup(CURL *easy) { if (agent_curl()) agent_curl()->easy_cleanup(easy); }

/// curl_easy_strerror.
static inline const char *agent_curl_easy_strerror(CURLcode code) {
    return agent_curl() ? agent_curl()->easy_strerror(code) : "libcurl is not available";
}

/// curl_easy_header.
static inline CURLHcode agent_curl_easy_header(CURL *easy, const char *name, size_t index, unsigned int origin,
                                               int request, struct curl_header **header) {
    return agent_curl() ? agent_curl()->easy_header(easy, name, index, origin, request, header) : CURLHE_NOT_BUILT_IN;
}

/// curl_multi_init, or NULL without libcurl.
static inline CURLM *agent_curl_multi_init(void) { return agent_curl() ? agent_curl()->multi_init() : NULL; }

/// curl_multi_cleanup.
static inline CURLMcode agent_curl_multi_cleanup(CURLM *multi) {
    return agent_curl() ? agent_curl()->multi_cleanup(multi) : CURLM_INTERNAL_ERROR;
}

/// curl_multi_add_handle.
static inline CURLMcode agent_curl_multi_add_handle(CURLM *multi, CURL *easy) {
    return agent_curl() ? agent_curl()->multi_add_handle(multi, easy) : CURLM_INTERNAL_ERROR;
}

/// curl_multi_remove_handle.
static inline CURLMcode agent_curl_multi_remove_handle(CURLM *multi, CURL *easy) {
    return agent_curl() ? agent_curl()->multi_remove_handle(multi, easy) : CURLM_INTERNAL_ERROR;
}

/// curl_multi_socket_action.
static inline CURLMcode agent_curl_multi_socket_action(CURLM *multi, curl_socket_t socket, int events, int *running) {
    return agent_curl() ? agent_curl()->multi_socket_action(multi, socket, events, running) : CURLM_INTERNAL_ERROR;
}

/// curl_multi_info_read.
static inline CURLMsg *agent_curl_multi_info_read(CURLM *multi, int *queued) {
    return agent_curl() ? agent_curl()->multi_info_read(multi, queued) : NULL;
}

/// curl_multi_strerror.
static inline const char *agent_curl_multi_strerror(CURLMcode code) {
    return agent_curl() ? agent_curl()->multi_strerror(code) : "libcurl is not available";
}

/// curl_easy_setopt for an option that takes a long.
static inline CURLcode agent_curl_easy_setopt_long(CURL *easy, CURLoption option, long value) {
    return agent_curl() ? agent_curl()->easy_setopt(easy, option, value) : CURLE_FAILED_INIT;
}

/// curl_easy_setopt for an option that takes a curl_off_t (the *_LARGE options).
static inline CURLcode agent_curl_easy_setopt_offset(CURL *easy, CURLoption option, curl_off_t value) {
    return agent_curl() ? agent_curl()->easy_setopt(easy, option, value) : CURLE_FAILED_INIT;
}

/// curl_easy_setopt for an option that takes a string (libcurl copies it) or NULL.
static inline CURLcode agent_curl_easy_setopt_string(CURL *easy, CURLoption option, const char *value) {
    return agent_curl() ? agent_curl()->easy_setopt(easy, option, value) : CURLE_FAILED_INIT;
}

/// curl_easy_setopt for an option that takes a data pointer (WRITEDATA, ERRORBUFFER).
static inline CURLcode agent_curl_easy_setopt_pointer(CURL *easy, CURLoption option, void *value) {
    return agent_curl() ? agent_curl()->easy_setopt(easy, option, value) : CURLE_FAILED_INIT;
}

/// curl_easy_setopt(CURLOPT_WRITEFUNCTION): the callback that receives the body.
static inline CURLcode agent_curl_easy_setopt_write_function(CURL *easy, curl_write_callback callback) {
    return agent_curl() ? agent_curl()->easy_setopt(easy, CURLOPT_WRITEFUNCTION, callback) : CURLE_FAILED_INIT;
}

/// curl_multi_setopt for an option that takes a data pointer (SOCKETDATA, TIMERDATA).
static inline CURLMcode agent_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return agent_curl() ? agent_curl()->multi_setopt(multi, option, value) : CURLM_INTERNAL_ERROR;
}

/// curl_multi_setopt(CURLMOPT_SOCKETFUNCTION): told which sockets to watch for what.
static inline CURLMcode agent_curl_multi_setopt_socket_function(CURLM *multi, curl_socket_callback callback) {
    return agent_curl() ? agent_curl()->multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback) : CURLM_INTERNAL_ERROR;
}

/// curl_multi_setopt(CURLMOPT_TIMERFUNCTION): told when to call back on a timeout.
static inline CURLMcode agent_curl_multi_setopt_timer_function(CURLM *multi, curl_multi_timer_callback callback) {
    return agent_curl() ? agent_curl()->multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback) : CURLM_INTERNAL_ERROR;
}

/// curl_easy_getinfo for an item that answers a long (CURLINFO_RESPONSE_CODE).
static inline CURLcode agent_curl_easy_getinfo_long(CURL *easy, CURLINFO info, long *value) {
    return agent_curl() ? agent_curl()->easy_getinfo(easy, info, value) : CURLE_FAILED_INIT;
}

/// curl_easy_getinfo for an item that answers a curl_off_t (the *_T items).
static inline CURLcode agent_curl_easy_getinfo_offset(CURL *easy, CURLINFO info, curl_off_t *value) {
    return agent_curl() ? agent_curl()->easy_getinfo(easy, info, value) : CURLE_FAILED_INIT;
}

#endif
