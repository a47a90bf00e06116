/// A layer change a slicer marked in the file being streamed.
public struct LayerMark: Equatable {
    /// Which layer starts at the mark.
    public enum Start: Equatable {
        /// This layer, counted from 1.
        case number(Int)
        /// The layer after the current one (the mark names no number).
        case next
    }

    /// The layer that starts here; nil when the line only gives the total.
    public var start: Start?
    /// How many layers the print has, when the line says.
    public var totalLayers: Int?

    /// Creates a mark.
    public init(start: Start?, totalLayers: Int? = nil) {
        self.start = start
        self.totalLayers = totalLayers
    }
}

/// What the streaming code learns from each line of the file it sends: layer changes,
/// the slicer's progress hints, extrusion, the part fan and heating waits. Every function
/// works on the line's bytes without allocating, and answers nil (or false) for anything
/// it does not recognize or cannot read.
public enum GcodeStreamFacts {
    /// The layer change a raw file line (comment included) marks: Cura's `;LAYER:<n>`
    /// (0-based, so layer n + 1; the negative numbers of raft layers are no layer),
    /// PrusaSlicer's, OrcaSlicer's and Bambu Studio's `;LAYER_CHANGE` (the next layer), and
    /// Klipper's `SET_PRINT_STATS_INFO [TOTAL_LAYER=<n>] [CURRENT_LAYER=<n>]`.
    public static func layerChange(_ rawLine: ArraySlice<UInt8>) -> LayerMark? {
        guard let first = rawLine.firstIndex(where: { !GcodeText.isBlank($0) }) else { return nil }
        let line = rawLine[first...]
        if line[first] == UInt8(ascii: ";") {
            let comment = GcodeText.trimmed(line.dropFirst())
            if let number = GcodeText.after("LAYER:", in: comment) {
                guard let layer = GcodeNumbers.count(number), layer < Int(Int32.max) else { return nil }
                return LayerMark(start: .number(layer + 1))
            }
            return GcodeText.equals(comment, "LAYER_CHANGE") ? LayerMark(start: .next) : nil
        }
        guard let arguments = GcodeText.after("SET_PRINT_STATS_INFO", in: line),
              arguments.first.map(GcodeText.isBlank) ?? false else { return nil }
        let command = MarlinLine.clean(arguments) ?? arguments[arguments.endIndex...]
        let current = klipperParameter("CURRENT_LAYER=", in: command).flatMap(GcodeNumbers.count)
        let total = klipperParameter("TOTAL_LAYER=", in: command).flatMap(GcodeNumbers.count)
        guard current != nil || total != nil else { return nil }
        return LayerMark(start: current.map { .number($0) }, totalLayers: total)
    }

    /// The slicer's progress hint `M73 P<percent> R<minutes left>` (either may be missing);
    /// nil for any other command, and for the silent-mode `M73 Q.. S..` alone. A percent
    /// outside 0...100 is unread.
    public static func progressHint(_ command: ArraySlice<UInt8>) -> (percent: Int?, remainingMinutes: Int?)? {
        guard let parameters = parameters(of: command, letter: UInt8(ascii: "M"), code: 73) else { return nil }
        let percent = parameter(UInt8(ascii: "P"), in: parameters).flatMap(wholeNumber).flatMap { $0 <= 100 ? $0 : nil }
        let remaining = parameter(UInt8(ascii: "R"), in: parameters).flatMap(wholeNumber)
        guard percent != nil || remaining != nil else { return nil }
        return (percent, remaining)
    }

    /// Whether `command` is a move (G0, G1, G2, G3) that extrudes: its E word is above 0.
    public static func isExtrudingMove(_ command: ArraySlice<UInt8>) -> Bool {
        guard let code = self.code(command), code.letter == UInt8(ascii: "G"), code.number <= 3,
              let extrusion = parameter(UInt8(ascii: "E"), in: code.parameters),
              extrusion.first != UInt8(ascii: "-"),
              let amount = GcodeDecimal.parse(extrusion.first == UInt8(ascii: "+") ? extrusion.dropFirst() : extrusion)
        else { return false }
        return amount.digits > 0
    }

    /// The part fan's speed in percent that `command` sets: `M106 S<0-255>` (rounded;
    /// `M106` alone is full speed) or `M107` (off). Nil for other commands, and for another
    /// fan (`P1`).
    public static func fanPercent(_ command: ArraySlice<UInt8>) -> Int? {
        guard let code = self.code(command), code.letter == UInt8(ascii: "M"),
              code.number == 106 || code.number == 107 else { return nil }
        if let fan = parameter(UInt8(ascii: "P"), in: code.parameters), wholeNumber(fan) != 0 { return nil }
        if code.number == 107 { return 0 }
        guard let speed = parameter(UInt8(ascii: "S"), in: code.parameters) else { return 100 }
        guard let value = GcodeDecimal.parse(speed)?.value() else { return nil }
        return Int(min(value, 255) * 100 / 255 + 0.5)
    }

    /// The height a move (G0, G1) commands with its Z word, in millimetres; nil for other
    /// commands, for a move without Z and for a negative or unreadable Z.
    public static func moveHeight(_ command: ArraySlice<UInt8>) -> Double? {
        guard let code = self.code(command), code.letter == UInt8(ascii: "G"), code.number <= 1,
              let z = parameter(UInt8(ascii: "Z"), in: code.parameters) else { return nil }
        return GcodeDecimal.parse(z)?.value()
    }

    /// Whether `command` sets absolute positioning (G90: true) or relative (G91: false); nil for others.
    public static func absolutePositioning(_ command: ArraySlice<UInt8>) -> Bool? {
        guard let code = self.code(command), code.letter == UInt8(ascii: "G"), code.number == 90 || code.number == 91,
              code.parameters.allSatisfy(GcodeText.isBlank) else { return nil }
        return code.number == 90
    }

    /// Whether `command` heats and waits: M109 (nozzle) or M190 (bed).
    public static func isTemperatureWait(_ command: ArraySlice<UInt8>) -> Bool {
        guard let code = self.code(command), code.letter == UInt8(ascii: "M") else { return false }
        return code.number == 109 || code.number == 190
    }

    /// The command's letter (capital), number and the text after them: `G1 X10` is G, 1, ` X10`.
    private static func code(_ command: ArraySlice<UInt8>) -> (letter: UInt8, number: Int, parameters: ArraySlice<UInt8>)? {
        guard let first = command.first, let letter = capitalLetter(first) else { return nil }
        let digits = command.dropFirst()
        let end = digits.firstIndex(where: { !GcodeText.isDigit($0) }) ?? digits.endIndex
        guard end > digits.startIndex, end - digits.startIndex <= 4 else { return nil }
        var number = 0
        for digit in digits[..<end] { number = number * 10 + Int(digit - UInt8(ascii: "0")) }
        return (letter, number, command[end...])
    }

    /// The parameters of `command` when it is `letter``code`, else nil.
    private static func parameters(of command: ArraySlice<UInt8>, letter: UInt8, code: Int) -> ArraySlice<UInt8>? {
        guard let found = self.code(command), found.letter == letter, found.number == code else { return nil }
        return found.parameters
    }

    /// The value of the word `letter` (a capital) among `parameters`: the bytes after the
    /// letter up to the next blank or letter (`G1 X10 E0.5` and `G1X10E0.5` alike).
    private static func parameter(_ letter: UInt8, in parameters: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var index = parameters.startIndex
        while index < parameters.endIndex {
            guard let found = capitalLetter(parameters[index]) else {
                index += 1
                continue
            }
            let valueStart = index + 1
            let valueEnd = parameters[valueStart...].firstIndex(where: { GcodeText.isBlank($0) || capitalLetter($0) != nil })
                ?? parameters.endIndex
            if found == letter { return parameters[valueStart..<valueEnd] }
            index = valueEnd
        }
        return nil
    }

    /// The value after `key` (`CURRENT_LAYER=`) in a Klipper command's arguments, up to the next blank.
    private static func klipperParameter(_ key: StaticString, in arguments: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var rest = arguments
        while let value = GcodeText.afterFirst(key, in: rest) {
            let start = value.startIndex - key.utf8CodeUnitCount
            let end = value.firstIndex(where: GcodeText.isBlank) ?? value.endIndex
            if start == arguments.startIndex || GcodeText.isBlank(arguments[start - 1]) { return value[..<end] }
            rest = value
        }
        return nil
    }

    /// A whole number of a word (`12`, or `12.5` read as 12) up to 2^31 - 1.
    private static func wholeNumber(_ value: ArraySlice<UInt8>) -> Int? {
        guard let whole = GcodeDecimal.parse(value)?.wholePart, whole <= Int64(Int32.max) else { return nil }
        return Int(whole)
    }

    /// `byte` as a capital letter when it is an ASCII letter of either case.
    private static func capitalLetter(_ byte: UInt8) -> UInt8? {
        let capital = byte & 0xDF
        return capital >= UInt8(ascii: "A") && capital <= UInt8(ascii: "Z") ? capital : nil
    }
}
