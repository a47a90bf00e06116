import Foundation
import Testing

/// Whether this test process runs under AddressSanitizer (`scripts/test --asan`), which
/// keeps freed memory in quarantine and so makes resident memory meaningless to measure.
public enum AddressSanitizer {
    /// Whether the ASan runtime is loaded (`__asan_init` resolves in the process, RTLD_DEFAULT).
    public static var isActive: Bool { dlsym(nil, "__asan_init") != nil }

    /// The trait of a test that measures memory: it runs only without the sanitizer.
    public static var measuresMemory: ConditionTrait {
        .disabled(if: isActive, "measures resident memory, which AddressSanitizer's quarantine inflates")
    }
}
