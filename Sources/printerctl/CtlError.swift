import ArgumentParser

/// Every failure printerctl reports: one line for the person, and the exit status for
/// scripts (docs/printerctl.md, "Exit status").
enum CtlError: Error, CustomStringConvertible {
    /// The printer answered the command with a failure: its code and `msg`.
    case refused(what: String, code: Int, message: String)
    /// The print ended without finishing (stopped or failed), for `watch` and `print --wait`.
    case printEnded(String)
    /// The firmware update `ota` followed failed (its download, check or installer).
    case updateFailed(String)
    /// The printer, the broker, the handshake or the upload could not be reached or refused us.
    case connection(String)
    /// The printer says it is offline (its retained will).
    case offline(String)
    /// No answer in time.
    case timeout(String)
    /// A setting or argument that cannot work (a missing device id, a bad URL).
    case usage(String)

    var description: String {
        switch self {
        case let .refused(what, code, message): return "\(what) refused by the printer (code \(code)): \(message)"
        case let .printEnded(text), let .updateFailed(text), let .connection(text), let .offline(text), let .timeout(text), let .usage(text):
            return text
        }
    }

    /// The exit status of this failure.
    var exitCode: ExitCode {
        switch self {
        case .refused: return ExitCode(1)
        case .printEnded, .updateFailed: return ExitCode(2)
        case .connection: return ExitCode(3)
        case .offline: return ExitCode(4)
        case .timeout: return ExitCode(5)
        case .usage: return ExitCode.validationFailure
        }
    }
}
