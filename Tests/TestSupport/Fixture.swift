import Foundation

/// The fixture printed in the print tests: a 10 mm cube sliced by PrusaSlicer 2.5
/// (Tests/Fixtures/README.md).
public enum Fixture {
    public static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The bytes of `name` in Tests/Fixtures (a missing fixture fails the test).
    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }

    /// The commands of a G-code file as a Marlin host sends them: comments and blank lines
    /// gone, surrounding spaces trimmed.
    public static func commands(of gcode: Data) -> [String] {
        String(decoding: gcode, as: UTF8.self).split(separator: "\n").compactMap { line in
            let code = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = code.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
    }
}
