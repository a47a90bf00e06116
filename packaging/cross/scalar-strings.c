// packaging/cross/scalar-strings.c: the Unicode data entry points of the Embedded Swift
// standard library, answered without the toolchain's 36 KB of tables
// (libswiftUnicodeDataTables.a), for the device binary only.
//
// With these answers every scalar is already normalized (normalization data 0: combining
// class 0, NFC and NFD quick checks "yes"), has no decomposition or composition, and is a
// grapheme of its own. So on the device String == and hashing compare Unicode scalars,
// which for the valid UTF-8 the agent handles means comparing bytes: exactly how the
// filesystem, the broker and JSON keys compare names. Canonically equivalent but different
// spellings (a precomposed "é" and "e" + U+0301) are different names on disk, and the agent
// now treats them as different too. ASCII behaves as with the tables. Hangul syllables are
// decomposed and composed algorithmically by the standard library, without tables.
// The normal-Swift builds (the tests) keep the full tables; device code must not depend on
// canonical equivalence or on Character counts of non-ASCII text (it works on bytes).
#include <stdbool.h>
#include <stdint.h>

uint16_t _swift_stdlib_getNormData(uint32_t scalar) {
    (void)scalar;
    return 0;
}

uint32_t _swift_stdlib_getDecompositionEntry(uint32_t scalar) {
    (void)scalar;
    return 0;  // names scalar 0, never the one asked for: no decomposition
}

static const uint8_t no_decompositions[1] = {0};
const uint8_t *const _swift_stdlib_nfd_decompositions = no_decompositions;

uint32_t _swift_stdlib_getComposition(uint32_t first, uint32_t second) {
    (void)first;
    (void)second;
    return UINT32_MAX;  // the tables' "no composition"
}

uint8_t _swift_stdlib_getGraphemeBreakProperty(uint32_t scalar) {
    (void)scalar;
    return 0xFF;  // no property ("any"): a grapheme break around the scalar
}

bool _swift_stdlib_isExtendedPictographic(uint32_t scalar) {
    (void)scalar;
    return false;
}

bool _swift_stdlib_isInCB_Consonant(uint32_t scalar) {
    (void)scalar;
    return false;
}
