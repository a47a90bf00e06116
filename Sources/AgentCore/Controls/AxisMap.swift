/// Which printer axes each `axis` number of `axis/move` names, per model (`axis_map`): the
/// sources disagree (the Kobra 3 firmware notes say 1 X, 2 Y, 3 Z, 5 all; KX-Bridge on the
/// Kobra X says 1 Y, 2 X, 3 Z, 4 all), so the table is configuration.
public struct AxisMap: Equatable {
    /// Each number and its axes (letters from X, Y, Z, in that order, no repeats).
    public private(set) var entries: [(number: Int, axes: String)]

    /// The default, from the Kobra 3 firmware notes: `1:X,2:Y,3:Z,5:XYZ`.
    public static let standard = AxisMap(entries: [(1, "X"), (2, "Y"), (3, "Z"), (5, "XYZ")])
    /// The Kobra X's, as KX-Bridge drives it: `1:Y,2:X,3:Z,4:XYZ`.
    public static let kobraX = AxisMap(entries: [(1, "Y"), (2, "X"), (3, "Z"), (4, "XYZ")])

    /// The map of model `modelId` when the configuration names none.
    public static func standard(forModel modelId: String) -> AxisMap {
        modelId == "20030" ? kobraX : standard
    }

    /// The axes `number` names, or nil for a number the table does not have.
    public func axes(of number: Int) -> String? {
        entries.first { $0.number == number }?.axes
    }

    /// Reads `1:X,2:Y,3:Z,5:XYZ`: comma-separated `number:axes`, numbers 0 to 99 each once,
    /// axes a non-empty set of X, Y and Z (any letter case or order, no repeats).
    public static func parse(_ text: String) throws(ConfigError) -> AxisMap {
        var entries: [(number: Int, axes: String)] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            let numberText = ConfigFile.trimmed(parts[0])
            guard parts.count == 2, let number = Int(numberText), (0...99).contains(number),
                  !entries.contains(where: { $0.number == number }) else {
                throw ConfigError("", "axis_map must be number:axes pairs separated by commas, each number 0 to 99 once (1:X,2:Y,3:Z,5:XYZ), not \"" + text + "\"")
            }
            let letters = ConfigFile.trimmed(parts[1]).utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
            let axes = String(decoding: Array("XYZ".utf8).filter { letters.contains($0) }, as: UTF8.self)
            guard !axes.isEmpty, axes.utf8.count == letters.count else {
                throw ConfigError("", "axis_map: the axes of " + String(number) + " must be some of X, Y and Z, not \"" + String(parts[1]) + "\"")
            }
            entries.append((number, axes))
        }
        guard !entries.isEmpty else { throw ConfigError("", "axis_map must name at least one axis number") }
        return AxisMap(entries: entries)
    }

    public static func == (lhs: AxisMap, rhs: AxisMap) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.number == $1.number && $0.axes == $1.axes }
    }
}
