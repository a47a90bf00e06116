/// One place a slicer writes a value. `GcodeMetadata.parse` takes each field from the first
/// of its places that was found, in the order of `GcodeFacts.resolve`.
enum GcodeSlot: Int {
    case totalEstimatedTime, normalModeTime, curaTime, griffinTime
    case layerNumber, layersCount, curaLayerCount
    case totalFilamentLength, filamentUsedMm, curaFilamentUsed
    case totalFilamentUsedG, totalFilamentWeight, filamentUsedG
    case layerHeight, curaLayerHeight
    case nozzleTemperature, temperature, nozzleInitialLayer, firstLayerTemperature, griffinNozzle, m109, m104
    case coolPlate, engineeringPlate, hotPlate, texturedPlate, texturedCoolPlate, supertackPlate
    case bedTemperature, firstLayerBedTemperature, griffinBed, m190, m140

    /// How many slots there are.
    static let count = GcodeSlot.m140.rawValue + 1
}

/// The values found in a file's comments and start G-code, one per slot; the first one found
/// for a slot wins (the head is read before the tail).
struct GcodeFacts {
    /// How a comment's value is read.
    enum Reading {
        /// A number, or the first item of a list.
        case first
        /// The sum of a list's numbers.
        case sum
        /// The sum of a list of metres (`1.2m, 0m`), in millimetres.
        case metres
        /// A whole number.
        case count
        /// Seconds as a number.
        case seconds
        /// Seconds as a duration (`1h 2m 3s`).
        case duration
    }

    /// The comment keys read, with their slot (PrusaSlicer and Orca family: `; key = value`
    /// and `; key: value`; Cura: `;KEY:value`).
    static let keys: [(key: StaticString, slot: GcodeSlot, reading: Reading)] = [
        ("total estimated time", .totalEstimatedTime, .duration),
        ("estimated printing time (normal mode)", .normalModeTime, .duration),
        ("TIME", .curaTime, .seconds),
        ("PRINT.TIME", .griffinTime, .seconds),
        ("total layer number", .layerNumber, .count),
        ("total layers count", .layersCount, .count),
        ("LAYER_COUNT", .curaLayerCount, .count),
        ("total filament length [mm]", .totalFilamentLength, .first),
        ("filament used [mm]", .filamentUsedMm, .sum),
        ("Filament used", .curaFilamentUsed, .metres),
        ("total filament used [g]", .totalFilamentUsedG, .first),
        ("total filament weight [g]", .totalFilamentWeight, .first),
        ("filament used [g]", .filamentUsedG, .sum),
        ("layer_height", .layerHeight, .first),
        ("Layer height", .curaLayerHeight, .first),
        ("nozzle_temperature", .nozzleTemperature, .first),
        ("temperature", .temperature, .first),
        ("nozzle_temperature_initial_layer", .nozzleInitialLayer, .first),
        ("first_layer_temperature", .firstLayerTemperature, .first),
        ("EXTRUDER_TRAIN.0.INITIAL_TEMPERATURE", .griffinNozzle, .first),
        ("cool_plate_temp", .coolPlate, .first),
        ("eng_plate_temp", .engineeringPlate, .first),
        ("hot_plate_temp", .hotPlate, .first),
        ("textured_plate_temp", .texturedPlate, .first),
        ("textured_cool_plate_temp", .texturedCoolPlate, .first),
        ("supertack_plate_temp", .supertackPlate, .first),
        ("bed_temperature", .bedTemperature, .first),
        ("first_layer_bed_temperature", .firstLayerBedTemperature, .first),
        ("BUILD_PLATE.INITIAL_TEMPERATURE", .griffinBed, .first),
    ]

    /// Orca's `curr_bed_type` values and the key holding that plate's temperature.
    static let plates: [(name: StaticString, slot: GcodeSlot)] = [
        ("Cool Plate", .coolPlate), ("Engineering Plate", .engineeringPlate), ("High Temp Plate", .hotPlate),
        ("Textured PEI Plate", .texturedPlate), ("Textured Cool Plate", .texturedCoolPlate),
        ("Supertack Plate", .supertackPlate),
    ]

    /// The values found, indexed by slot.
    private(set) var values = [Double?](repeating: nil, count: GcodeSlot.count)
    /// The slicer's name and version, as written.
    private(set) var slicer: String?
    /// The plate an Orca-family slicer sliced for, when it said.
    private(set) var plate: GcodeSlot?
    /// Cura's Griffin header writes its name and version on two lines.
    private var generatorName: ArraySlice<UInt8>?

    /// The value of `slot`, when found.
    subscript(slot: GcodeSlot) -> Double? { values[slot.rawValue] }

    /// Sets `slot` unless a value was found for it already.
    mutating func found(_ slot: GcodeSlot, _ value: Double?) {
        if let value, values[slot.rawValue] == nil { values[slot.rawValue] = value }
    }

    /// Reads one comment (`body` is the text after `;`, trimmed).
    mutating func comment(_ body: ArraySlice<UInt8>) {
        if slicer == nil, let name = Self.slicerName(body) {
            slicer = GcodeText.reportString(name, limit: 128)
            return
        }
        guard let pair = GcodeText.keyValue(body) else { return }
        let (key, value) = pair
        for entry in Self.keys where GcodeText.equals(key, entry.key) {
            found(entry.slot, Self.read(value, entry.reading))
            return
        }
        if GcodeText.equals(key, "model printing time") {
            // `; model printing time: 7m 21s; total estimated time: 13m 10s`
            if let total = GcodeText.afterFirst("total estimated time:", in: value) {
                found(.totalEstimatedTime, Self.read(total, .duration))
            }
        } else if GcodeText.equals(key, "curr_bed_type") {
            if plate == nil { plate = Self.plates.first { GcodeText.equals(value, $0.name) }?.slot }
        } else if GcodeText.equals(key, "GENERATOR.NAME") {
            if generatorName == nil { generatorName = value }
        } else if GcodeText.equals(key, "GENERATOR.VERSION"), slicer == nil, let name = generatorName {
            slicer = GcodeText.reportString(name + [UInt8(ascii: " ")] + value, limit: 128)
        }
    }

    /// Reads one line of G-code (no comment): the first non-zero `S` of M104/M109 (nozzle)
    /// and M140/M190 (bed), for files whose comments give no temperatures.
    mutating func command(_ line: ArraySlice<UInt8>) {
        guard let first = line.first, first == UInt8(ascii: "M") || first == UInt8(ascii: "m") else { return }
        let code = line.prefix { $0 != UInt8(ascii: ";") }.split(whereSeparator: GcodeText.isBlank)
        guard let name = code.first, let number = GcodeNumbers.count(name.dropFirst()) else { return }
        let slot: GcodeSlot
        switch number {
        case 104: slot = .m104
        case 109: slot = .m109
        case 140: slot = .m140
        case 190: slot = .m190
        default: return
        }
        guard self[slot] == nil else { return }
        for word in code.dropFirst() where word.first == UInt8(ascii: "S") {
            if let value = GcodeDecimal.parse(word.dropFirst())?.value(), value > 0 { found(slot, value) }
            return
        }
    }

    /// The slicer named by a comment: `; generated by PrusaSlicer 2.7.1 on <date>`,
    /// `;Generated with Cura_SteamEngine 5.4.0`, `; BambuStudio 01.07.06.92`.
    static func slicerName(_ body: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        if let rest = GcodeText.after("generated by ", in: body) {
            guard let on = GcodeText.firstIndex(of: " on ", in: rest) else { return GcodeText.trimmed(rest) }
            return GcodeText.trimmed(rest[..<on])
        }
        if let rest = GcodeText.after("Generated with ", in: body) { return GcodeText.trimmed(rest) }
        if GcodeText.after("BambuStudio", in: body) != nil { return body }
        return nil
    }

    /// `value` read the way `reading` says, or nil when it is malformed.
    static func read(_ value: ArraySlice<UInt8>, _ reading: Reading) -> Double? {
        switch reading {
        case .first: return GcodeNumbers.first(value)
        case .sum: return GcodeNumbers.sum(value)
        case .metres: return GcodeNumbers.sum(value, unit: UInt8(ascii: "m"), shift: 3)
        case .count: return GcodeNumbers.count(value).map { Double($0) }
        case .seconds: return GcodeNumbers.seconds(value).map { Double($0) }
        case .duration: return GcodeNumbers.duration(value).map { Double($0) }
        }
    }
}
