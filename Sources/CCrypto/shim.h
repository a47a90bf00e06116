// OpenSSL's libcrypto: digests (MD5, SHA-256) and signature checks (Debian: libssl-dev).
#ifndef PRINTER_AGENT_CCRYPTO_SHIM_H
#define PRINTER_AGENT_CCRYPTO_SHIM_H
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#endif
