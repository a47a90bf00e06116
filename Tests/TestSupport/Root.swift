import Foundation
import Testing

/// Tests that need root (mount(2), loop devices, namespaces): they all skip the same way.
/// Without root, Swift Testing reports them skipped with the reason; as root (CI) they run,
/// and a missing tool or device then fails them instead of hiding them.
public enum Root {
    /// Whether this process runs with effective user id 0.
    public static var isRoot: Bool { geteuid() == 0 }

    /// The trait of a test or suite that needs root for `reason` (what it does as root):
    /// `@Test(Root.required(reason: "mounts a tmpfs"))`.
    public static func required(reason: String) -> ConditionTrait {
        .enabled(if: isRoot, Comment(rawValue: "needs root: \(reason)"))
    }
}
