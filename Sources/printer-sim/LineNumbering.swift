/// Marlin's checks of a serial line (queue.cpp): a line starting `N` must carry the next
/// line number (unless it is an M110) and a checksum, the XOR of every byte before `*`; a
/// line without a line number is taken as it is.
struct LineNumbering {
    /// Why a line was refused; Marlin prints it as `Error:<message>`.
    enum Failure: Error, Equatable {
        case wrongLineNumber, checksumMismatch, noChecksum, noLineNumber

        /// Marlin's text, before `Last Line: <n>`.
        var text: String {
            switch self {
            case .wrongLineNumber: return "Line Number is not Last Line Number+1"
            case .checksumMismatch: return "checksum mismatch"
            case .noChecksum: return "No Checksum with line number"
            case .noLineNumber: return "No Line Number with checksum"
            }
        }
    }

    /// A line that passed the checks.
    struct Accepted {
        /// The command without line number and checksum.
        let command: String
        /// The line's number, nil for a line without one.
        let lineNumber: Int?
        /// The number the last line number becomes once the line is taken: the line's
        /// number, or for M110 the number it sets.
        let newLastLine: Int?
    }

    /// The number of the last line taken.
    private(set) var lastLine = 0

    /// Checks `line`, its bytes as received with the comment removed, without taking it. The
    /// checksum is over those bytes, as Marlin's is: read as UTF-8 first, every corrupted byte
    /// that is not UTF-8 would become the same U+FFFD, and two of them cancel in the XOR.
    func check(_ line: ArraySlice<UInt8>) -> Result<Accepted, Failure> {
        let checksumStart = line.lastIndex(of: UInt8(ascii: "*"))
        let body = line[..<(checksumStart ?? line.endIndex)]
        // Any line that starts with N is numbered, as in Marlin's queue.cpp: a corrupted
        // number reads as 0 (strtol) and is refused, never run as a command.
        guard line.first == UInt8(ascii: "N") || line.first == UInt8(ascii: "n") else {
            // A line with a checksum but no number is the rest of a line cut short.
            if checksumStart != nil { return .failure(.noLineNumber) }
            let command = String(decoding: body, as: UTF8.self).trimmed
            return .success(Accepted(command: command, lineNumber: nil, newLastLine: Self.m110Number(command)))
        }
        let numberBytes = body.dropFirst().prefix { Self.isDigit($0) || $0 == UInt8(ascii: "-") }
        let lineNumber = Int(String(decoding: numberBytes, as: UTF8.self)) ?? 0
        let command = String(decoding: body.dropFirst(1 + numberBytes.count), as: UTF8.self).trimmed
        let m110Number = Self.m110Number(command)
        let isM110 = GcodeCommand(command)?.name == "M110"
        if !isM110 && lineNumber != lastLine + 1 { return .failure(.wrongLineNumber) }
        guard let checksumStart else { return .failure(.noChecksum) }
        let givenBytes = line[(checksumStart + 1)...].prefix(while: Self.isDigit)
        let given = Int(String(decoding: givenBytes, as: UTF8.self)) ?? -1
        guard given == Self.checksum(of: body) else { return .failure(.checksumMismatch) }
        return .success(Accepted(command: command, lineNumber: lineNumber, newLastLine: m110Number ?? lineNumber))
    }

    /// Takes an accepted line: its number becomes the last line number.
    mutating func take(_ line: Accepted) {
        if let newLast = line.newLastLine { lastLine = newLast }
    }

    /// Starts numbering again from 0, as a reboot does.
    mutating func reset() {
        lastLine = 0
    }

    /// What Marlin prints for a refused line: the error, the resend request and `ok`.
    func refusal(_ failure: Failure) -> [String] {
        ["Error:\(failure.text), Last Line: \(lastLine)", "Resend: \(lastLine + 1)", "ok"]
    }

    /// The number an `M110 N<n>` command sets, nil for other commands.
    private static func m110Number(_ command: String) -> Int? {
        guard let parsed = GcodeCommand(command), parsed.name == "M110" else { return nil }
        return parsed.number("N").map { Int($0) }
    }

    /// The checksum of `bytes`: their XOR.
    static func checksum(of bytes: some Sequence<UInt8>) -> Int {
        Int(bytes.reduce(0, ^))
    }

    /// Whether `byte` is an ASCII digit.
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
