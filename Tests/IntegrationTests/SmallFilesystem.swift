import Foundation
import TestSupport

/// A 64 KiB tmpfs mounted on a temporary directory (root only), for the full-disk tests;
/// unmounted when the test drops it.
final class SmallFilesystem {
    private let directory: TemporaryDirectory

    /// Mounts it.
    init() throws {
        directory = try TemporaryDirectory()
        guard Process.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", directory.path]) == 0 else {
            throw TestFailure("cannot mount a small tmpfs for the full-disk test")
        }
    }

    deinit { _ = Process.run("/bin/umount", ["-l", directory.path]) }

    /// Where it is mounted.
    var path: String { directory.path }
}
