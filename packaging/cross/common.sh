# shellcheck shell=bash
# Shared by packaging/cross/{build,run,smoke}; sourced, never run on its own.
#
# It holds the one table that says how each device architecture is built and run (Swift
# triple, Debian architecture, GNU cross tools, qemu), where the per-architecture sysroots
# and outputs live, and a small apt helper that installs missing tools once per run.
#
# Why these choices (details in docs/building.md):
# - The device binary is Embedded Swift: no Swift runtime exists for the boards. Embedded
#   Swift's standard library ships only for bare-metal triples on ARM (armv7-none-none-eabi,
#   aarch64-none-none-elf); the *-linux-gnu ARM triples fail with "could not find module
#   'Swift'". On x86_64 the toolchain ships the Linux one.
# - SwiftPM only builds a static library (the PrinterAgentDevice product); the target's GNU
#   gcc links it against glibc and the C libraries of a Debian sysroot, so the result is an
#   ordinary dynamically linked Linux executable for that board.

# shellcheck disable=SC2034  # (whole file) its variables are used by the scripts sourcing it
CROSS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CROSS_WORK=$CROSS_ROOT/.build-cross   # sysroots, downloaded .debs, SwiftPM scratch dirs
CROSS_OUT=$CROSS_ROOT/out             # out/<arch>/printer-agent{,.debug}
ALL_ARCHES=(x86_64 armv7 aarch64)

# Prefer the toolchain the project documents when it is not on PATH.
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    PATH=/opt/swift/usr/bin:$PATH
fi

log()  { printf '==> %s\n' "$*" >&2; }
warn() { printf '%s: warning: %s\n' "${0##*/}" "$*" >&2; }
die()  { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# arch_config ARCH: sets, for one architecture,
#   TRIPLE        the Swift target triple
#   DEB_ARCH      Debian's name of the architecture (empty: the host's own libraries)
#   MULTIARCH     Debian's multiarch directory name (usr/lib/<MULTIARCH>, usr/include/<MULTIARCH>)
#   TOOL_PREFIX   prefix of the GNU tools (gcc, strip, readelf) for that architecture
#   TOOL_PACKAGES the Debian packages that provide those tools (and qemu)
#   ELF_MACHINE   what `readelf -h` says for a binary of that architecture
#   SYSROOT       the sysroot made by packaging/cross/build (empty for x86_64)
#   QEMU          the command that runs a binary of that architecture here (empty: natively)
#   SWIFT_FLAGS   extra swiftc options
#   LINK_FLAGS    extra gcc options for the final link
# Returns 1 for an unknown architecture.
arch_config() {
    case "$1" in
    x86_64)
        TRIPLE=x86_64-unknown-linux-gnu
        DEB_ARCH=
        MULTIARCH=x86_64-linux-gnu
        TOOL_PREFIX=
        TOOL_PACKAGES=(gcc binutils)
        ELF_MACHINE='Advanced Micro Devices X86-64'
        SYSROOT=
        QEMU=()
        SWIFT_FLAGS=()
        # The whole binary ends up resident (the kernel maps file pages around each fault), so
        # its size is memory: without separate-code ld does not pad the code to its own pages.
        LINK_FLAGS=('-Wl,-z,noseparate-code')
        ;;
    armv7)
        # Hard-float Cortex-A7 (e.g. Rockchip RV1106). Without -mfloat-abi=hard glibc's headers
        # want gnu/stubs-soft.h and the objects are soft-float, which ld refuses to link with
        # armhf libraries; build checks that every object of the Swift library is hard-float.
        TRIPLE=armv7-none-none-eabi
        DEB_ARCH=armhf
        MULTIARCH=arm-linux-gnueabihf
        TOOL_PREFIX=arm-linux-gnueabihf-
        TOOL_PACKAGES=(gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf qemu-user-static)
        ELF_MACHINE=ARM
        SYSROOT=$CROSS_WORK/sysroot-armv7
        QEMU=(qemu-arm-static -cpu cortex-a7)
        # 64-bit off_t: files of 2 GiB and more on USB sticks and internal storage.
        # -mthumb: Thumb-2 code, a third smaller than ARM code (stripped binary 443 KB -> 321 KB);
        # it interworks with the ARM-mode glibc and libraries, which the linker handles.
        # The Swift code is compiled to LLVM bitcode and made into machine code by the link-time
        # optimisation in ld.lld (see build), so the code generator's options are link options:
        # -enable-machine-outliner: LLVM moves repeated instruction sequences into shared
        # functions (-Osize does not do it for ARM by itself); over the whole program at link
        # time it saves 24 KB (it saved 8 KB when each source file was outlined on its own).
        # Not -machine-outliner-reruns=1: 1 KB smaller, but that binary hangs at start under
        # qemu (miscompiled; measured with LLVM 21 of Swift 6.3.1).
        # (aarch64 outlines -Osize code by default; x86_64's outliner saved 8.5 KB more, but is
        # the least used of LLVM's outliners, so it is left off there.)
        # -float-abi=hard: says so to the link-time code generator rather than leaving it to infer
        # the ABI from the bare-metal triple (today the code is the same either way); build
        # checks the generated object's Tag_ABI_VFP_args.
        SWIFT_FLAGS=(-target-cpu cortex-a7 -Xcc -mfloat-abi=hard -Xcc -mcpu=cortex-a7 -Xcc -mthumb -Xcc -D_FILE_OFFSET_BITS=64)
        LINK_FLAGS=(-mthumb '-Wl,-mllvm,-enable-machine-outliner' '-Wl,-mllvm,-float-abi=hard')
        ;;
    aarch64)
        # 4 KiB pages: GNU ld's default 64 KiB alignment wastes space and some board kernels
        # use 4 KiB pages anyway. qemu's cortex-a53 is the oldest common core: no newer ISA.
        TRIPLE=aarch64-none-none-elf
        DEB_ARCH=arm64
        MULTIARCH=aarch64-linux-gnu
        TOOL_PREFIX=aarch64-linux-gnu-
        TOOL_PACKAGES=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user-static)
        ELF_MACHINE=AArch64
        SYSROOT=$CROSS_WORK/sysroot-aarch64
        QEMU=(qemu-aarch64-static -cpu cortex-a53)
        SWIFT_FLAGS=()
        LINK_FLAGS=('-Wl,-z,max-page-size=4096')
        ;;
    *)
        return 1
        ;;
    esac
}

# Checks each argument against ALL_ARCHES; dies on the first unknown one.
check_arches() {
    local arch
    for arch in "$@"; do
        arch_config "$arch" || die "unknown architecture '$arch' (known: ${ALL_ARCHES[*]})"
    done
}

# --- apt ---------------------------------------------------------------------------------
# apt-get update runs at most once per script run, and only when something is missing.
# It may report errors and still be usable: on this project's machines one foreign index
# (bookworm-security armhf) fails its size check at times. That is only a warning here; if a
# package we need is really unavailable, the install or download after it fails loudly.
APT_UPDATED=0

apt_update_once() {
    [ "$APT_UPDATED" = 1 ] && return 0
    APT_UPDATED=1
    log "apt-get update"
    if ! apt-get update -qq; then
        warn "apt-get update reported errors (above); going on with the package lists it has"
    fi
}

# apt_install PACKAGE...: installs the packages (as root), updating the lists first.
apt_install() {
    [ "$#" -gt 0 ] || return 0
    [ "$(id -u)" = 0 ] || die "missing packages, and not root to install them: $*"
    apt_update_once
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
        || die "apt-get install failed: $*"
}

# need COMMAND PACKAGE: records PACKAGE in MISSING_PACKAGES when COMMAND is not on PATH.
MISSING_PACKAGES=()
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    case " ${MISSING_PACKAGES[*]} " in *" $2 "*) ;; *) MISSING_PACKAGES+=("$2") ;; esac
}
