/// One line a Marlin-style controller sent, classified: what a host must act on (the `ok`
/// that frees the line slot, a resend request, a reboot, a fatal error) and what it reports
/// (temperatures, capabilities, host actions). Every byte sequence parses to some reply:
/// binary noise and invalid UTF-8 become `other`.
public enum MarlinReply: Equatable {
    /// `ok`: the controller took the last line. Carries the temperatures when the ok answers
    /// M105 (`ok T:210.0 /210.0 B:60.0 /60.0 @:0 B@:0`). ADVANCED_OK's `ok N12 P15 B3` is a
    /// plain ok.
    case ok(ControllerReadings?)
    /// `Resend: 12`, `rs N12`: the controller wants the lines from this number on again.
    case resend(Int)
    /// `echo:busy: processing`, `busy: paused for user`: a keepalive during a long command.
    case busy
    /// `echo:M113 S2`, M113's report: the board sends a keepalive every this many
    /// milliseconds during long commands (0: it does not).
    case keepaliveInterval(Int64)
    /// `start`: the board booted (its line numbering restarted).
    case start
    /// An auto-report or heating-wait line (` T:25.0 /0.0 B:25.0 /0.0 @:0 B@:0`).
    case temperatures(ControllerReadings)
    /// An M115 capability (`Cap:AUTOREPORT_TEMP:1`).
    case capability(name: String, enabled: Bool)
    /// M115's first line (`FIRMWARE_NAME:Marlin 2.1.2 ... MACHINE_TYPE:...`), whole.
    case firmwareInfo(String)
    /// `//action:pause`: what the firmware asks of the host, after `//action:`.
    case hostAction(String)
    /// An error about a corrupted or missing line (checksum, line number); a `Resend` follows,
    /// for the line after Marlin's `Last Line: 12` (`expectedRequest` 13; nil when the error
    /// does not say). `fragment`: Marlin's `No Line Number with checksum`, the refusal of the
    /// tail of a line a corrupted byte cut in two (its head is refused on its own).
    case communicationError(String, expectedRequest: Int?, fragment: Bool)
    /// An error the firmware reports and carries on after (a missing or unreadable SD card),
    /// without `Error:`.
    case nonFatalError(String)
    /// Any other error (`Error:`, `!!`): the firmware has stopped (kill, thermal runaway,
    /// MINTEMP), without its prefix; never empty.
    case fatalError(String)
    /// M114's position (`X:10.00 Y:20.00 Z:5.00 E:0.00 Count X:800 Y:1600 Z:2000`): the
    /// logical X, Y and Z before `Count`.
    case position(AxisPosition)
    /// An `echo:` line, without the prefix.
    case echo(String)
    /// Anything else, as text.
    case other(String)

    /// The longest text kept in a reply (a controller may send lines of any length).
    static let maxTextLength = 512

    /// Classifies one line (without its newline; a trailing `\r` and blanks are ignored).
    public static func parse(_ line: [UInt8]) -> MarlinReply {
        let text = GcodeText.trimmed(line[...])
        if let rest = GcodeText.after("ok", in: text), rest.first.map(GcodeText.isBlank) ?? true {
            return .ok(readings(rest))
        }
        if GcodeText.equals(text, "start") { return .start }
        if let number = resendNumber(text) { return .resend(number) }
        if GcodeText.after("busy:", in: text) != nil || GcodeText.after("echo:busy:", in: text) != nil {
            return .busy
        }
        if let message = after("error:", ignoringCaseIn: text) { return error(GcodeText.trimmed(message)) }
        if let message = GcodeText.after("!!", in: text) { return fatal(message) }
        if let action = GcodeText.after("//action:", in: text) { return .hostAction(string(action)) }
        if let capability = GcodeText.after("Cap:", in: text), let reply = self.capability(capability) {
            return reply
        }
        if GcodeText.after("FIRMWARE_NAME:", in: text) != nil { return .firmwareInfo(string(text)) }
        if let message = GcodeText.after("echo:", in: text) {
            if let interval = keepaliveInterval(GcodeText.trimmed(message)) { return .keepaliveInterval(interval) }
            return .echo(string(message))
        }
        if let found = readings(text) { return .temperatures(found) }
        if let found = position(text) { return .position(found) }
        return .other(string(text))
    }

    /// The number of `Resend: 12`, `Resend:12`, `rs N12` or `rs 12`.
    private static func resendNumber(_ text: ArraySlice<UInt8>) -> Int? {
        let rest: ArraySlice<UInt8>
        if let afterResend = after("resend:", ignoringCaseIn: text) {
            rest = afterResend
        } else if let afterRs = GcodeText.after("rs", in: text), afterRs.first.map(GcodeText.isBlank) == true {
            rest = afterRs
        } else {
            return nil
        }
        var number = GcodeText.trimmed(rest)
        if number.first == UInt8(ascii: "N") { number = number.dropFirst() }
        return GcodeNumbers.count(number)
    }

    /// The milliseconds of `M113 S2` (at most Marlin's 60 s); nil for any other text.
    private static func keepaliveInterval(_ text: ArraySlice<UInt8>) -> Int64? {
        guard let seconds = GcodeText.after("M113 S", in: text), let milliseconds = GcodeDecimal.parse(seconds)?.value(shift: 3),
              milliseconds <= 60_000 else { return nil }
        return Int64(milliseconds)
    }

    /// Words of the errors about a corrupted or missing line (lowercase).
    private static let communicationErrorWords: [StaticString] = ["checksum", "line number", "last line", "expected line"]

    /// Marlin's errors about a line (lowercase): a corrupted byte that became a line end can cut
    /// one short before its telling word, and what is left of it must not pass for a fatal error.
    private static let communicationErrorTexts: [StaticString] = [
        "line number is not last line number+1", "checksum mismatch", "no checksum with line number",
        "no line number with checksum",
    ]

    /// Words of the SD card errors Marlin reports and carries on after (lowercase; the list
    /// OctoPrint ignores).
    private static let storageErrorWords: [StaticString] = [
        "volume.init", "openroot", "workdir", "open failed", "cannot open subdir", "error writing to file", "sd init fail",
    ]

    /// The error line's kind: communication errors are the ones about line numbers and
    /// checksums (the controller asks for a resend next), SD card failures are reported and
    /// survived, everything else stops the firmware.
    private static func error(_ message: ArraySlice<UInt8>) -> MarlinReply {
        if communicationErrorWords.contains(where: { contains($0, ignoringCaseIn: message) }) {
            let lastLine = afterLast("last line:", ignoringCaseIn: message).flatMap { GcodeNumbers.count(GcodeText.trimmed($0)) }
            return .communicationError(string(message), expectedRequest: lastLine.map { $0 + 1 },
                                       fragment: begins("no line number with checksum", with: message.prefix(28)))
        }
        if !message.isEmpty, communicationErrorTexts.contains(where: { begins($0, with: message) }) {
            return .communicationError(string(message), expectedRequest: nil, fragment: false)
        }
        if storageErrorWords.contains(where: { contains($0, ignoringCaseIn: message) }) {
            return .nonFatalError(string(message))
        }
        return fatal(message)
    }

    /// A fatal error with its message; one that says nothing readable (`Error:` alone, or
    /// control characters) still gets a sentence, since it becomes the failed print's `msg`.
    private static func fatal(_ message: ArraySlice<UInt8>) -> MarlinReply {
        let text = string(message)
        return .fatalError(text.isEmpty ? unexplainedError : text)
    }

    /// The message of a fatal error the controller did not describe.
    private static let unexplainedError = "the controller stopped with an error it did not describe"

    /// `AUTOREPORT_TEMP:1` as a capability; nil when the value is neither 0 nor 1.
    private static func capability(_ text: ArraySlice<UInt8>) -> MarlinReply? {
        guard let colon = text.lastIndex(of: UInt8(ascii: ":")), colon > text.startIndex else { return nil }
        let value = text[(colon + 1)...]
        guard value.count == 1, let flag = value.first, flag == UInt8(ascii: "0") || flag == UInt8(ascii: "1")
        else { return nil }
        return .capability(name: string(text[..<colon]), enabled: flag == UInt8(ascii: "1"))
    }

    /// The nozzle and bed temperatures of a report (`T:210.0 /210.0 B:60.0 /60.0 @:0 B@:0`,
    /// also `T:210.0/210.0`): `T:` is the active tool, `T0:` the first one when there is no
    /// `T:`. Nil when the text has none.
    private static func readings(_ text: ArraySlice<UInt8>) -> ControllerReadings? {
        var tool: Heater? = nil
        var firstTool: Heater? = nil
        var bed: Heater? = nil
        var awaitingTarget: HeaterName? = nil
        var index = text.startIndex
        while index < text.endIndex {
            guard !GcodeText.isBlank(text[index]) else {
                index += 1
                continue
            }
            let end = text[index...].firstIndex(where: GcodeText.isBlank) ?? text.endIndex
            let token = text[index..<end]
            index = end
            if token.first == UInt8(ascii: "/") {
                let value = number(token.dropFirst())
                switch awaitingTarget {
                case .tool: tool?.target = value
                case .firstTool: firstTool?.target = value
                case .bed: bed?.target = value
                case nil: break
                }
                awaitingTarget = nil
                continue
            }
            awaitingTarget = nil
            guard let colon = token.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let key = token[..<colon]
            let reading = Heater(token[(colon + 1)...])
            if GcodeText.equals(key, "T") {
                tool = reading
                awaitingTarget = reading.target == nil ? .tool : nil
            } else if GcodeText.equals(key, "T0") {
                firstTool = reading
                awaitingTarget = reading.target == nil ? .firstTool : nil
            } else if GcodeText.equals(key, "B") {
                bed = reading
                awaitingTarget = reading.target == nil ? .bed : nil
            }
        }
        let nozzle = tool ?? firstTool
        guard nozzle?.current != nil || bed?.current != nil else { return nil }
        return ControllerReadings(nozzleTemperature: nozzle?.current, nozzleTarget: nozzle?.target,
                                  bedTemperature: bed?.current, bedTarget: bed?.target)
    }

    /// The X, Y and Z of an M114 line: `X:`, `Y:` and `Z:` tokens, in that order, before
    /// any `Count` (whose step counts are not millimetres). Nil unless all three are numbers.
    private static func position(_ text: ArraySlice<UInt8>) -> AxisPosition? {
        var values: [Double] = []
        for token in text.split(whereSeparator: GcodeText.isBlank) {
            if GcodeText.equals(token, "Count") { break }
            let key: StaticString = values.count == 0 ? "X:" : values.count == 1 ? "Y:" : "Z:"
            guard values.count < 3, let value = GcodeText.after(key, in: token) else { continue }
            guard let parsed = number(value) else { return nil }
            values.append(parsed)
        }
        return values.count == 3 ? AxisPosition(x: values[0], y: values[1], z: values[2]) : nil
    }

    /// Which heater a following `/target` token belongs to.
    private enum HeaterName { case tool, firstTool, bed }

    /// One heater's `current/target` or `current` (its target may follow as `/target`).
    private struct Heater {
        var current: Double?
        var target: Double?

        init(_ value: ArraySlice<UInt8>) {
            if let slash = value.firstIndex(of: UInt8(ascii: "/")) {
                current = MarlinReply.number(value[..<slash])
                target = MarlinReply.number(value[(slash + 1)...])
            } else {
                current = MarlinReply.number(value)
            }
        }
    }

    /// A decimal number with an optional sign (`-14.00`, `210.0`).
    private static func number(_ text: ArraySlice<UInt8>) -> Double? {
        if let magnitude = GcodeText.after("-", in: text) { return GcodeDecimal.parse(magnitude)?.value().map { -$0 } }
        return GcodeDecimal.parse(text)?.value()
    }

    /// `text` as a String (invalid UTF-8 replaced, cut at a control byte and at `maxTextLength`).
    private static func string(_ text: ArraySlice<UInt8>) -> String {
        GcodeText.reportString(text, limit: maxTextLength)
    }

    /// `text` after `prefix` (lowercase ASCII) when `text` starts with it in any letter case.
    private static func after(_ prefix: StaticString, ignoringCaseIn text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        prefix.withUTF8Buffer { needle -> ArraySlice<UInt8>? in
            guard text.count >= needle.count,
                  zip(text, needle).allSatisfy({ lowercased($0) == $1 }) else { return nil }
            return text.dropFirst(needle.count)
        }
    }

    /// Whether `full` (lowercase ASCII) begins with `text` in any letter case.
    private static func begins(_ full: StaticString, with text: ArraySlice<UInt8>) -> Bool {
        full.withUTF8Buffer { whole in
            text.count <= whole.count && zip(text, whole).allSatisfy { lowercased($0) == $1 }
        }
    }

    /// Whether `needle` (lowercase ASCII) occurs in `text` in any letter case.
    private static func contains(_ needle: StaticString, ignoringCaseIn text: ArraySlice<UInt8>) -> Bool {
        var start = text.startIndex
        while start < text.endIndex {
            if after(needle, ignoringCaseIn: text[start...]) != nil { return true }
            start += 1
        }
        return false
    }

    /// `text` after the last occurrence of `needle` (lowercase ASCII) in any letter case.
    private static func afterLast(_ needle: StaticString, ignoringCaseIn text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var start = text.endIndex
        while start > text.startIndex {
            start -= 1
            if let rest = after(needle, ignoringCaseIn: text[start...]) { return rest }
        }
        return nil
    }

    /// `byte` with an ASCII capital letter made small.
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
