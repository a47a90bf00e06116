import Foundation

/// Where printerctl writes: text for a person (colours only on a terminal, and never with
/// NO_COLOR set) or one JSON value per line for a script.
struct Output {
    let json: Bool
    /// Whether standard output is a terminal (colours, the live bar redrawn in place).
    let terminal: Bool

    /// The output of a command run with `--json` or without.
    init(json: Bool) {
        self.json = json
        terminal = isatty(STDOUT_FILENO) == 1
    }

    /// Whether colours are used.
    var colours: Bool { terminal && !json && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    /// `text` in the ANSI colour `code` (32 green, 33 yellow, 31 red, 1 bold, 2 dim) when colours are on.
    func paint(_ text: String, _ code: String) -> String { colours ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    /// Writes a line.
    func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes `value` as one line of JSON (keys sorted, so the output is stable).
    func emit(_ value: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// Writes `value` as JSON in JSON mode, else `text()`'s lines.
    func show(_ value: Any, _ text: () -> [String]) {
        if json { emit(value) } else { text().forEach(line) }
    }

    /// Replaces the current terminal line with `text` (no newline), for a live display.
    func redraw(_ text: String) {
        FileHandle.standardOutput.write(Data("\r\u{1B}[2K\(text)".utf8))
    }

    /// Whether a live view redraws one line in place (a terminal, without --json).
    private var redraws: Bool { terminal && !json }

    /// Starts a live view (`watch`, `ota`): at a terminal, Ctrl-C leaves the redrawn line
    /// whole and the prompt on a line of its own, and exits 130.
    func beginLive() {
        guard redraws else { return }
        signal(SIGINT) { _ in
            _ = write(STDOUT_FILENO, "\n", 1)
            _exit(130)
        }
    }

    /// One step of a live view: `value` in JSON mode, else `text` redrawn in place at a
    /// terminal, or written as a line when it differs from `shown` (the last step's text).
    func live(_ text: String, json value: Any, shown: inout String) {
        if json {
            emit(value)
        } else if terminal {
            redraw(text)
        } else if text != shown {
            line(text)
        }
        shown = text
    }

    /// Ends a live view: the redrawn line is closed.
    func endLive() {
        if redraws { line("") }
    }
}

/// Standard error, for the one-line error printerctl ends with.
enum Diagnostics {
    /// Writes `printerctl: <text>` on standard error.
    static func error(_ text: String) {
        FileHandle.standardError.write(Data("printerctl: \(text)\n".utf8))
    }
}
