// libFuzzer's driver, which the fuzz targets call from their own main (see
// Sources/FuzzTargets/FuzzDriver.swift). It is linked only into the sanitizer build
// (`-sanitize=fuzzer`, fuzz/run); the normal build never calls it.
#ifndef PRINTER_AGENT_CFUZZER_SHIM_H
#define PRINTER_AGENT_CFUZZER_SHIM_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line `argc`/`argv`, calling `callback` for every input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
