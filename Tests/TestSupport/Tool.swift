import Foundation

/// System tools the tests need (mount, umount, losetup, mkfs.ext2, nsenter), run as child processes.
public enum Tool {
    /// Runs `name` with `arguments` and returns its standard output; throws with its output
    /// when it cannot be found or exits with a non-zero status.
    @discardableResult
    public static func run(_ name: String, _ arguments: [String]) throws -> String {
        let candidates = ["/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"].map { $0 + name }
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("\(name) is not installed (looked in \(candidates))")
        }
        let files = try TemporaryDirectory()
        let out = files.path + "/out", err = files.path + "/err"
        let child = try ChildProcess(executable, arguments, stdout: out, stderr: err)
        let status = try child.waitForExit(timeout: 60)
        let output = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            throw TestFailure("\(name) \(arguments.joined(separator: " ")) exited with \(status): \(errors)\(output)")
        }
        return output
    }
}
