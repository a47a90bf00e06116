import Foundation
import TestSupport

/// `printerctl` run as a person or a script runs it: to the end with its output collected,
/// or in a pseudo-terminal (through util-linux `script`), as at a terminal.
final class PrinterctlRun {
    /// What it printed and how it ended.
    struct Outcome: CustomStringConvertible {
        let status: Int32
        let out: String
        let err: String

        /// Standard output's lines parsed as JSON objects (the --json output).
        var objects: [[String: Any]] {
            out.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        }

        /// Standard output parsed as one JSON value.
        var value: Any? { try? JSONSerialization.jsonObject(with: Data(out.utf8)) }

        var description: String { "exit \(status); stdout: \(out); stderr: \(err)" }
    }

    private let child: ChildProcess
    private let files: TemporaryDirectory

    /// Starts printerctl with `arguments`; standard input is `input` (a file made for it), or
    /// empty. In a `terminal` its standard output is a pseudo-terminal.
    init(_ arguments: [String], input: String = "", terminal: Bool = false) throws {
        files = try TemporaryDirectory()
        let inputPath = try files.write("stdin", input)
        let command = ([try Executables.built("printerctl")] + arguments).map(Self.quoted).joined(separator: " ")
        // At a terminal as a person has it: the test runner's NO_COLOR (if any) left out.
        let shell = terminal ? "exec env -u NO_COLOR TERM=xterm script --quiet --return --command \(Self.quoted(command)) /dev/null"
                             : "exec \(command) <\(Self.quoted(inputPath))"
        child = try ChildProcess("/bin/sh", ["-c", shell], stdout: files.path + "/out", stderr: files.path + "/err")
    }

    /// What it wrote to standard output so far.
    var output: String { (try? String(contentsOfFile: files.path + "/out", encoding: .utf8)) ?? "" }

    /// Waits for the exit.
    func finish(timeout: TimeInterval = 60) throws -> Outcome {
        let status = try child.waitForExit(timeout: timeout)
        return Outcome(status: status, out: output, err: (try? String(contentsOfFile: files.path + "/err", encoding: .utf8)) ?? "")
    }

    /// Runs printerctl with `arguments` to the end.
    static func run(_ arguments: [String], input: String = "", timeout: TimeInterval = 60) throws -> Outcome {
        try PrinterctlRun(arguments, input: input).finish(timeout: timeout)
    }

    /// `text` quoted for the shell.
    private static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
