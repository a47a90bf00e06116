import AgentJSON

/// A `.gcode.3mf`: the 3MF (ZIP) container that Bambu Studio, OrcaSlicer and Anycubic Slicer
/// Next export a sliced project in. Each sliced plate's G-code is the entry
/// `Metadata/plate_<n>.gcode` (n from 1), beside its thumbnails, its MD5 and the slicing
/// information; the printer prints one plate's G-code.
public enum SlicedArchive {
    /// How the file names of these archives end.
    public static let suffix = ".gcode.3mf"

    /// Whether `name` ends in `.gcode.3mf`, in any ASCII case.
    public static func isArchive(_ name: String) -> Bool {
        let lowered = name.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        return lowered.count > suffix.utf8.count && lowered.suffix(suffix.utf8.count).elementsEqual(suffix.utf8)
    }

    /// The plate `print/start` asks for: `plate_index` (1 for the first plate), or nil.
    public static func requestedPlate(in data: JSONValue) throws(CommandFailure) -> Int? {
        try CommandFields.optionalInt("plate_index", in: data, range: 1...9999)
    }

    /// The plate number of `name` when it is a plate's G-code entry, else nil.
    static func plateNumber(of name: String) -> Int? {
        let bytes = Array(name.utf8)
        let prefix = Array("Metadata/plate_".utf8)
        let ending = Array(".gcode".utf8)
        guard bytes.count > prefix.count + ending.count, bytes.starts(with: prefix), bytes.suffix(ending.count).elementsEqual(ending) else {
            return nil
        }
        let digits = bytes[prefix.count..<bytes.count - ending.count]
        guard digits.count <= 4, digits.first != UInt8(ascii: "0"),
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// The G-code entry of plate `plate`, or without one: plate 1, or the only plate. Fails
    /// when the archive holds no sliced plate, not that plate, the plate twice, or several
    /// plates but not plate 1 and none was named.
    public static func plateEntry(in entries: [ZipEntry], plate: Int?) throws(CommandFailure) -> (plate: Int, entry: ZipEntry) {
        var plates: [(plate: Int, entry: ZipEntry)] = []
        for entry in entries {
            if let number = plateNumber(of: entry.name) { plates.append((number, entry)) }
        }
        plates.sort { $0.plate < $1.plate }
        guard !plates.isEmpty else {
            throw CommandFailure(.badRequest, "it holds no sliced G-code (no Metadata/plate_<n>.gcode): "
                                 + "slice the project and export the plate as a .gcode.3mf")
        }
        var list = ""
        for (index, found) in plates.enumerated() {
            if index > 0, found.plate == plates[index - 1].plate {
                throw CommandFailure(.verificationFailed, "it holds plate " + String(found.plate) + "'s G-code twice")
            }
            list += (list.isEmpty ? "" : ", ") + String(found.plate)
        }
        let wanted = plate ?? (plates.count == 1 ? plates[0].plate : 1)
        guard let chosen = plates.first(where: { $0.plate == wanted }) else {
            if plate == nil {
                throw CommandFailure(.badRequest, "it holds plates " + list + " and no plate 1: say which with \"plate_index\"")
            }
            throw CommandFailure(.badRequest, "it has no plate " + String(wanted) + " (its plates: " + list + ")")
        }
        return chosen
    }
}
