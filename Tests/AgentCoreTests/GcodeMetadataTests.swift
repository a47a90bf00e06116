import AgentCore
import AgentJSON
import Foundation
import Testing

/// Reading slicer metadata from the head and tail of G-code files (`file/fileDetails`).
@Suite struct GcodeMetadataTests {
    private typealias S = GcodeSamples

    /// Parses `lines` as a whole file (no tail).
    private func parse(_ lines: [String], newline: String = "\n") -> GcodeMetadata {
        GcodeMetadata.parse(head: S.bytes(lines, newline: newline), tail: [])
    }

    // MARK: - Each slicer

    @Test func prusaSlicerHeaderThumbnailsFooterAndConfig() {
        let metadata = parse(S.prusaHead + S.moves + S.prusaFooter)
        #expect(metadata.slicer == "PrusaSlicer 2.7.1+linux-x64-GTK3")
        #expect(metadata.estimatedSeconds == 3723)
        #expect(metadata.layerCount == nil)
        #expect(metadata.filamentLengthMm == 2116.64)
        #expect(metadata.filamentWeightG == 6.31)
        #expect(metadata.layerHeightMm == 0.15)
        #expect(metadata.nozzleTemperature == 215)
        #expect(metadata.bedTemperature == 60)
        #expect(metadata.thumbnail == GcodeThumbnail(width: 220, height: 124, base64: S.base64(S.png(2))))
    }

    @Test func prusaSlicerConfigOnlyInTheTail() {
        // The head ends inside a line, as a 512 KiB window does; the tail starts inside one.
        var head = S.bytes(S.prusaHead + S.moves)
        head += Array("; layer_height = 0.".utf8)
        let tail = Array("85 E.08907\n".utf8) + S.bytes(S.prusaFooter)
        let metadata = GcodeMetadata.parse(head: head, tail: tail)
        #expect(metadata.slicer == "PrusaSlicer 2.7.1+linux-x64-GTK3")
        #expect(metadata.estimatedSeconds == 3723)
        #expect(metadata.filamentLengthMm == 2116.64)
        #expect(metadata.filamentWeightG == 6.31)
        #expect(metadata.layerHeightMm == 0.15, "the cut-off last line of the head is not read")
        #expect(metadata.nozzleTemperature == 215)
        #expect(metadata.bedTemperature == 60)
        #expect(metadata.thumbnail?.width == 220)
        // Without the tail, only what the head says.
        let headOnly = GcodeMetadata.parse(head: S.bytes(S.prusaHead), tail: [])
        #expect(headOnly.estimatedSeconds == nil)
        #expect(headOnly.layerHeightMm == nil)
        #expect(headOnly.nozzleTemperature == 215, "from M109 S215 in the start G-code")
        #expect(headOnly.bedTemperature == 60, "from M190 S60 in the start G-code")
    }

    @Test func orcaSlicerHeaderBlockAndFooterWithThePlatesTemperature() {
        let metadata = GcodeMetadata.parse(head: S.bytes(S.orcaHead), tail: S.bytes(S.orcaFooter))
        #expect(metadata.slicer == "OrcaSlicer 2.1.1")
        #expect(metadata.estimatedSeconds == 7207)
        #expect(metadata.layerCount == 250)
        #expect(metadata.filamentLengthMm == 4814.5)
        #expect(metadata.filamentWeightG == 14.36)
        #expect(metadata.layerHeightMm == 0.2)
        #expect(metadata.nozzleTemperature == 220)
        #expect(metadata.bedTemperature == 65, "curr_bed_type is Textured PEI Plate")
        #expect(metadata.thumbnail?.width == 300)
    }

    @Test func bambuStudioTotalsFromTheHeaderBlock() {
        let metadata = parse(S.bambu)
        #expect(metadata.slicer == "BambuStudio 01.09.07.52")
        #expect(metadata.estimatedSeconds == 1376, "22m 56s: the total, not the model printing time")
        #expect(metadata.layerCount == 127)
        #expect(metadata.filamentLengthMm == 1487.59)
        #expect(metadata.filamentWeightG == 4.44)
        #expect(metadata.layerHeightMm == 0.2)
        #expect(metadata.nozzleTemperature == 220, "the first extruder's of 220,230")
        #expect(metadata.bedTemperature == 35, "curr_bed_type is Cool Plate")
        #expect(metadata.thumbnail == GcodeThumbnail(width: 300, height: 300, base64: S.base64(S.png(5, count: 500))))
    }

    @Test func anycubicSlicerNextSumsTheFilamentSlots() {
        let metadata = parse(S.anycubicNext)
        #expect(metadata.slicer == "AnycubicSlicerNext 1.3.7.3")
        #expect(metadata.estimatedSeconds == 93784)
        #expect(metadata.layerCount == 80)
        #expect(metadata.filamentLengthMm == 2365.1, "0.00 + 2365.10: the unused first slot is not the answer")
        #expect(metadata.filamentWeightG == 7.05)
        #expect(metadata.layerHeightMm == 0.16)
        #expect(metadata.nozzleTemperature == 210)
        #expect(metadata.bedTemperature == 60, "hot_plate_temp when no plate type is named")
        #expect(metadata.thumbnail == nil)
    }

    @Test func curaHeaderAndStartGcode() {
        let metadata = parse(S.cura)
        #expect(metadata.slicer == "Cura_SteamEngine 5.4.0")
        #expect(metadata.estimatedSeconds == 5025)
        #expect(metadata.layerCount == 120)
        #expect(metadata.filamentLengthMm == 1234.5, "1.2345 m, exactly")
        #expect(metadata.filamentWeightG == nil)
        #expect(metadata.layerHeightMm == 0.2)
        #expect(metadata.nozzleTemperature == 210)
        #expect(metadata.bedTemperature == 60)
        #expect(metadata.thumbnail == GcodeThumbnail(width: 300, height: 300, base64: S.base64(S.png(6))),
                "Cura's script writes `begin 300 300 <length>`")
    }

    @Test func curaGriffinHeader() {
        let metadata = parse(S.curaGriffin)
        #expect(metadata.slicer == "Cura_SteamEngine 5.4.0")
        #expect(metadata.estimatedSeconds == 7265)
        #expect(metadata.layerCount == 212)
        #expect(metadata.nozzleTemperature == 205)
        #expect(metadata.bedTemperature == 60)
    }

    @Test func curaMultiExtruderFilamentIsSummedInMillimetres() {
        let metadata = parse([";FLAVOR:Marlin", ";TIME:600", ";Filament used: 1.5m, 0.25m, 0m", ";Layer height: 0.12"])
        #expect(metadata.filamentLengthMm == 1750)
        #expect(metadata.layerHeightMm == 0.12)
    }

    // MARK: - Thumbnails

    @Test func qoiAndJpgThumbnailsAreSkippedForThePng() {
        let lines = S.thumbnail(tag: "thumbnail_QOI", width: 512, height: 512, payload: Array("qoif-not-png".utf8))
            + S.thumbnail(tag: "thumbnail_JPG", width: 400, height: 400, payload: S.jpeg())
            + S.thumbnail(width: 600, height: 600, payload: S.jpeg(count: 600))  // a JPEG under the PNG tag
            + S.thumbnail(width: 32, height: 32, payload: S.png(7))
            + S.thumbnail(tag: "thumbnail_QOI", width: 640, height: 640, payload: S.png(8))  // QOI tag: never PNG
        let thumbnail = parse(lines).thumbnail
        #expect(thumbnail == GcodeThumbnail(width: 32, height: 32, base64: S.base64(S.png(7))))
    }

    @Test func theLargestPngWins() {
        let lines = S.thumbnail(width: 16, height: 16, payload: S.png(1, count: 40))
            + S.thumbnail(width: 300, height: 300, payload: S.png(2, count: 900))
            + S.thumbnail(width: 96, height: 96, payload: S.png(3, count: 2000))
        #expect(parse(lines).thumbnail?.width == 300)
        #expect(parse(lines).thumbnail?.base64 == S.base64(S.png(2, count: 900)))
    }

    @Test func aThumbnailCutOffByTheWindowIsDropped() {
        let small = S.thumbnail(width: 16, height: 16, payload: S.png(1, count: 40))
        let large = S.thumbnail(width: 300, height: 300, payload: S.png(2, count: 3000))
        let whole = S.bytes(small + large + S.moves)
        // The head ends inside the large block: its end line is in the tail.
        let cut = S.bytes(small).count + S.bytes(Array(large.prefix(20))).count + 17
        let head = Array(whole[..<cut]), tail = Array(whole[cut...])
        let metadata = GcodeMetadata.parse(head: head, tail: tail)
        #expect(metadata.thumbnail?.width == 16, "never half a thumbnail")
        #expect(GcodeMetadata.parse(head: head, tail: []).thumbnail?.width == 16)
        // When the tail starts where the head ends, the block is whole again.
        let joined = GcodeMetadata.parse(head: head, tail: tail, tailFollowsHead: true)
        #expect(joined.thumbnail == GcodeThumbnail(width: 300, height: 300, base64: S.base64(S.png(2, count: 3000))))
    }

    @Test func aThumbnailWithoutItsEndLineIsDropped() {
        let lines = Array(S.thumbnail(width: 300, height: 300, payload: S.png(2)).dropLast(2)) + S.moves
        #expect(parse(lines).thumbnail == nil)
    }

    @Test(arguments: [
        ("the declared length is wrong", S.thumbnail(width: 64, height: 64, payload: S.png(1), declared: 99)),
        ("a character is not base64", { () -> [String] in
            var lines = S.thumbnail(width: 64, height: 64, payload: S.png(1))
            lines[3] = "; *" + lines[3].dropFirst(3)  // the second row; the length stays right
            return lines
        }()),
        ("a G-code line interrupts it", { () -> [String] in
            var lines = S.thumbnail(width: 64, height: 64, payload: S.png(1))
            lines.insert("G1 X1 Y1", at: 3)
            return lines
        }()),
        ("the size is not WxH", S.thumbnail(width: 64, height: 64, payload: S.png(1), size: "64xx64")),
        ("the width is 0", S.thumbnail(width: 0, height: 64, payload: S.png(1))),
    ])
    func aMalformedThumbnailIsDropped(reason: String, lines: [String]) {
        #expect(parse(lines + S.moves).thumbnail == nil, "\(reason)")
    }

    // MARK: - Robustness

    @Test func crlfLinesReadLikeLfLines() {
        for sample in [S.prusaHead + S.prusaFooter, S.orcaHead + S.orcaFooter, S.bambu, S.cura, S.curaGriffin] {
            let crlf = parse(sample, newline: "\r\n")
            #expect(crlf == parse(sample))
            #expect(crlf.slicer != nil)
        }
        #expect(parse(S.prusaHead + S.prusaFooter, newline: "\r\n").thumbnail?.width == 220)
    }

    @Test func garbageBytesNeverStopTheReading() {
        var bytes: [UInt8] = [0x00, 0xFF, 0xFE, 0x0A, 0x3B, 0x00, 0x3D, 0x0A, 0xC3, 0x28, 0x0A, 0x3B, 0x0A, 0x3B, 0x3B, 0x0A]
        bytes += Array("; generated by Pr".utf8) + [0xFF] + Array("sa".utf8) + [0x00] + Array("Slicer 2.7\n".utf8)
        bytes += Array(repeating: UInt8(ascii: "x"), count: 100_000) + [0x0A]  // a very long line
        bytes += Array(";TIME:\u{0}12\n; layer_height = 0.2\0\n; layer_height = 0.25\n".utf8)
        bytes += Array("; thumbnail begin 10x10 8\n; iVBORw0K\0\n; thumbnail end\n".utf8)
        let metadata = GcodeMetadata.parse(head: bytes, tail: bytes)
        #expect(metadata.slicer == "Pr\u{FFFD}sa", "cut at the NUL byte, invalid UTF-8 replaced")
        #expect(metadata.estimatedSeconds == nil)
        #expect(metadata.layerHeightMm == 0.25, "a value with a NUL byte is malformed")
        #expect(metadata.thumbnail == nil)
        #expect(JSONCodec.print(metadata.data).contains("\"slicer\":\"Pr\u{FFFD}sa\""))
    }

    @Test func randomBytesAndMangledSamplesNeverCrash() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 33
        }
        let sample = S.bytes(S.prusaHead + S.prusaFooter + S.orcaHead + S.cura)
        for round in 0..<300 {
            var bytes = sample
            for _ in 0..<(round % 40 + 1) {
                let at = Int(next() % UInt64(bytes.count))
                switch next() % 3 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: next())
                case 1: bytes.remove(at: at)
                default: bytes.insert([0x0A, 0x3B, 0x3A, 0x3D, 0x20, 0x00][Int(next() % 6)], at: at)
                }
            }
            let split = Int(next() % UInt64(bytes.count))
            let metadata = GcodeMetadata.parse(head: Array(bytes[..<split]), tail: Array(bytes[split...]))
            _ = JSONCodec.print(metadata.data)
            let noise = (0..<Int(next() % 3000)).map { _ in UInt8(truncatingIfNeeded: next()) }
            _ = GcodeMetadata.parse(head: noise, tail: noise, tailFollowsHead: round % 2 == 0)
        }
    }

    @Test func hugeAndMalformedNumbersLeaveTheFieldNull() {
        let metadata = parse([
            ";TIME:99999999999999999999999", "; total layer number: 99999999999",
            "; estimated printing time (normal mode) = 99999999999999999d",
            "; filament used [mm] = 123456789012345678901234567890", "; total filament used [g] = 1e300",
            "; layer_height = 0.2.1", "; nozzle_temperature = 220abc", "; bed_temperature = -60",
            ";LAYER_COUNT:1.5", "; thumbnail begin 99999999999x1 8", "; iVBORw0K", "; thumbnail end",
        ])
        #expect(metadata == GcodeMetadata())
        #expect(JSONCodec.print(metadata.data) == """
            {"slicer":null,"estimated_time":null,"layer_count":null,"filament_length_mm":null,\
            "filament_weight_g":null,"layer_height_mm":null,"nozzle_temp":null,"bed_temp":null,"thumbnail":null}
            """)
    }

    @Test func aMalformedValueFallsBackToTheNextPlace() {
        let metadata = parse(["; temperature = abc", "; first_layer_temperature = 215", "; bed_temperature = ",
                              "M190 S{material_bed_temperature}", "M140 S55"])
        #expect(metadata.nozzleTemperature == 215)
        #expect(metadata.bedTemperature == 55)
    }

    @Test(arguments: [
        ("1d 2h 3m 4s", 93784), ("2h 3m", 7380), ("45m 10s", 2710), ("12s", 12), ("1h 0m 0s", 3600),
        ("2h0m7s", 7207), ("0s", 0),
    ] as [(String, Int64)])
    func durations(text: String, seconds: Int64) {
        #expect(parse(["; estimated printing time (normal mode) = \(text)"]).estimatedSeconds == seconds)
    }

    @Test(arguments: ["", "1h 2h", "3m 1h", "12", "h", "1x", "01:15:00", "-5m", "1.5h", "5 m", "1h 2m 3s 4"])
    func malformedDurations(text: String) {
        #expect(parse(["; estimated printing time (normal mode) = \(text)"]).estimatedSeconds == nil)
    }

    // MARK: - Where values come from

    @Test func startGcodeTemperaturesTakeTheFirstNonZeroAndPreferWaiting() {
        let metadata = parse(["M104 S0", "M104 S200 T0", "M109 S210 T0 ; wait", "M140 S50", "M190 S60", "M1040 S300"])
        #expect(metadata.nozzleTemperature == 210, "M109 before M104")
        #expect(metadata.bedTemperature == 60, "M190 before M140")
        let tailOnly = GcodeMetadata.parse(head: S.bytes(["G28"]), tail: S.bytes(["M104 S250", "M140 S70"]))
        #expect(tailOnly.nozzleTemperature == nil, "G-code of the tail is not read")
        #expect(tailOnly.bedTemperature == nil)
    }

    @Test func theHeadsLastLineIsReadOnlyWhenItIsTheWholeFile() {
        let head = Array(";FLAVOR:Marlin\n;LAYER_COUNT:12".utf8)
        #expect(GcodeMetadata.parse(head: head, tail: []).layerCount == 12)
        #expect(GcodeMetadata.parse(head: head, tail: Array("G1 X1\n".utf8)).layerCount == nil)
        let split = GcodeMetadata.parse(head: Array("; layer_hei".utf8), tail: Array("ght = 0.3\n".utf8),
                                        tailFollowsHead: true)
        #expect(split.layerHeightMm == 0.3)
    }

    @Test func theFirstValueFoundWinsAndTheHeadComesFirst() {
        let metadata = GcodeMetadata.parse(head: S.bytes(["; layer_height = 0.2"]), tail: S.bytes(["; layer_height = 0.3"]))
        #expect(metadata.layerHeightMm == 0.2)
    }

    @Test func zeroGramsMeansTheWeightIsUnknown() {
        #expect(parse(["; total filament used [g] = 0.00", "; filament used [g] = 0.00"]).filamentWeightG == nil)
        #expect(parse(["; total filament used [g] = 0.00", "; filament used [g] = 0.00, 7.05"]).filamentWeightG == 7.05)
        #expect(parse(["; filament used [g] = 98.40, 52.82, 0.00"]).filamentWeightG == 151.22, "an exact sum")
    }

    @Test func emptyInputKnowsNothing() {
        #expect(GcodeMetadata.parse(head: [], tail: []) == GcodeMetadata())
        #expect(GcodeMetadata.parse(head: [], tail: [], tailFollowsHead: true) == GcodeMetadata())
    }

    @Test func theReportsDataObject() throws {
        let metadata = parse(S.cura)
        let expected = """
            {"slicer":"Cura_SteamEngine 5.4.0","estimated_time":5025,"layer_count":120,"filament_length_mm":1234.5,\
            "filament_weight_g":null,"layer_height_mm":0.2,"nozzle_temp":210,"bed_temp":60,\
            "thumbnail":{"width":300,"height":300,"format":"png","base64":"\(S.base64(S.png(6)))"}}
            """
        #expect(JSONCodec.print(metadata.data) == expected)
        let thumbnail = try #require(metadata.data["thumbnail"]?["base64"]?.stringValue)
        #expect(Data(base64Encoded: thumbnail).map { Array($0) } == S.png(6))
    }
}

/// Hand-written G-code in each slicer's format: the header and footer comments the way each
/// slicer lays them out (PrusaSlicer's and Orca's G-code writers, CuraEngine's header, Cura's
/// thumbnail script), with only a few moves in between.
private enum GcodeSamples {
    /// Bytes of `lines`, each ended by `newline`.
    static func bytes(_ lines: [String], newline: String = "\n") -> [UInt8] {
        Array(lines.map { $0 + newline }.joined().utf8)
    }

    /// A fake PNG file: the 8-byte signature, then `count` bytes made from `seed`.
    static func png(_ seed: UInt8, count: Int = 300) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    /// A fake JPEG file (it starts with the JPEG markers FF D8 FF).
    static func jpeg(count: Int = 300) -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xE0] + (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    }

    /// Standard padded base64.
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// A thumbnail block as PrusaSlicer writes it: `;`, the begin line, rows of 78 base64
    /// characters, the end line, `;`. `size` replaces `<W>x<H>` (Cura's script writes `W H`);
    /// `declared` replaces the base64 length on the begin line.
    static func thumbnail(tag: String = "thumbnail", width: Int, height: Int, payload: [UInt8],
                          size: String? = nil, declared: Int? = nil) -> [String] {
        let text = base64(payload)
        var lines = [";", "; \(tag) begin \(size ?? "\(width)x\(height)") \(declared ?? text.utf8.count)"]
        var rest = Substring(text)
        while !rest.isEmpty {
            lines.append("; " + rest.prefix(78))
            rest = rest.dropFirst(78)
        }
        return lines + ["; \(tag) end", ";"]
    }

    /// A few layers of moves, as any slicer writes them.
    static let moves = [
        ";LAYER_CHANGE", ";Z:0.2", ";HEIGHT:0.2", "G1 Z.2 F720", "G1 X78.213 Y81.302 F9000",
        "G1 E.8 F2100", ";TYPE:External perimeter", "G1 F1800", "G1 X80.412 Y79.775 E.08907",
        "G1 X82.929 Y78.828 E.08907", "G1 X85.613 Y78.514 E.08907",
    ]

    /// The PrusaSlicer head: generator line, thumbnails (QOI, small PNG, PNG 220x124, and a
    /// larger JPG that must not win), then the start G-code.
    static let prusaHead: [String] = [
        "; generated by PrusaSlicer 2.7.1+linux-x64-GTK3 on 2024-03-05 at 14:02:11 UTC", "",
    ] + thumbnail(tag: "thumbnail_QOI", width: 16, height: 16, payload: Array("qoifdata".utf8))
        + thumbnail(width: 16, height: 16, payload: png(1, count: 60))
        + thumbnail(width: 220, height: 124, payload: png(2))
        + thumbnail(tag: "thumbnail_JPG", width: 440, height: 240, payload: jpeg(count: 900))
        + [
            "", "; external perimeters extrusion width = 0.45mm", "; perimeters extrusion width = 0.45mm", "",
            "M73 P0 R62", "M73 Q0 S65", "M201 X4000 Y4000 Z200 E2500", "M862.3 P \"MK4\" ; printer model check",
            "G90 ; use absolute coordinates", "M83 ; extruder relative mode",
            "M104 S170 ; set extruder temp for bed leveling", "M140 S60 ; set bed temp",
            "M109 R170 ; wait for bed leveling temp", "M190 S60 ; wait for bed temp",
            "G28 ; home all without mesh bed level", "M104 S215 ; set extruder temp", "M109 S215 ; wait for extruder temp",
        ] + moves

    /// The PrusaSlicer footer: statistics, then the configuration block.
    static let prusaFooter: [String] = [
        "M104 S0 ; turn off temperature", "M140 S0 ; turn off heatbed", "M84 ; disable motors", "",
        "; filament used [mm] = 2116.64", "; filament used [cm3] = 5.09", "; filament used [g] = 6.31",
        "; filament cost = 0.16", "; total filament used [g] = 6.31", "; total filament cost = 0.16",
        "; estimated printing time (normal mode) = 1h 2m 3s", "; estimated printing time (silent mode) = 1h 5m 0s",
        "; estimated first layer printing time (normal mode) = 1m 2s", "",
        "; prusaslicer_config = begin", "; bed_temperature = 60", "; chamber_temperature = 0",
        "; end_gcode = M104 S0 ; turn off temperature\\nM84", "; first_layer_bed_temperature = 65",
        "; first_layer_height = 0.2", "; first_layer_temperature = 220", "; idle_temperature = 0",
        "; layer_height = 0.15", "; nozzle_diameter = 0.4", "; printer_model = MK4",
        "; start_gcode = M140 S[first_layer_bed_temperature] ; set bed temp", "; temperature = 215",
        "; thumbnails = 16x16/QOI, 16x16/PNG, 220x124/PNG, 440x240/JPG", "; prusaslicer_config = end",
    ]

    /// OrcaSlicer for a third-party (not Bambu Lab) printer: the header block and the
    /// thumbnail block in the head, statistics and configuration at the end.
    static let orcaHead: [String] = [
        "; HEADER_BLOCK_START", "; generated by OrcaSlicer 2.1.1 on 2024-06-01 at 12:00:00",
        "; total layer number: 250", "; filament_density: 1.24", "; filament_diameter: 1.75",
        "; max_z_height: 50.00", "; HEADER_BLOCK_END", "", "; THUMBNAIL_BLOCK_START",
    ] + thumbnail(width: 300, height: 300, payload: png(3, count: 600)) + [
        "; THUMBNAIL_BLOCK_END", "", "; external perimeters extrusion width = 0.42mm", "",
        "; EXECUTABLE_BLOCK_START", "M73 P0 R120", "M140 S65", "M104 S225", "G28", "M190 S65", "M109 S225",
    ] + moves

    /// The OrcaSlicer footer.
    static let orcaFooter: [String] = [
        "; EXECUTABLE_BLOCK_END", "", "; filament used [mm] = 4814.50", "; filament used [cm3] = 11.58",
        "; filament used [g] = 14.36", "; filament cost = 0.29", "; total filament used [g] = 14.36",
        "; total filament cost = 0.29", "; total layers count = 250",
        "; estimated printing time (normal mode) = 2h 0m 7s", "", "; CONFIG_BLOCK_START",
        "; bed_temperature_difference = 10", "; cool_plate_temp = 35", "; cool_plate_temp_initial_layer = 35",
        "; curr_bed_type = Textured PEI Plate", "; eng_plate_temp = 100", "; hot_plate_temp = 60",
        "; layer_height = 0.2", "; nozzle_temperature = 220", "; nozzle_temperature_initial_layer = 225",
        "; textured_plate_temp = 65", "; textured_plate_temp_initial_layer = 65", "; CONFIG_BLOCK_END",
    ]

    /// Bambu Studio: totals in the header block, thumbnails and configuration in the head.
    static let bambu: [String] = [
        "; HEADER_BLOCK_START", "; BambuStudio 01.09.07.52",
        "; model printing time: 16m 10s; total estimated time: 22m 56s", "; total layer number: 127",
        "; total filament length [mm] : 1487.59", "; total filament volume [cm^3] : 3578.08",
        "; total filament weight [g] : 4.44", "; filament_density: 1.24", "; filament_diameter: 1.75",
        "; max_z_height: 25.40", "; HEADER_BLOCK_END", "", "; THUMBNAIL_BLOCK_START",
    ] + thumbnail(width: 96, height: 96, payload: png(4)) + thumbnail(width: 300, height: 300, payload: png(5, count: 500)) + [
        "; THUMBNAIL_BLOCK_END", "", "; CONFIG_BLOCK_START", "; cool_plate_temp = 35,35",
        "; curr_bed_type = Cool Plate", "; hot_plate_temp = 55,55", "; layer_height = 0.2",
        "; nozzle_temperature = 220,230", "; CONFIG_BLOCK_END", "", "; EXECUTABLE_BLOCK_START",
        "M73 P0 R22", "M140 S35", "M104 S220",
    ] + moves + ["; EXECUTABLE_BLOCK_END"]

    /// Anycubic Slicer Next (Orca-derived), two filament slots of which only the second is used.
    static let anycubicNext: [String] = [
        "; HEADER_BLOCK_START", "; generated by AnycubicSlicerNext 1.3.7.3 on 2025-01-12 at 09:15:42",
        "; total layer number: 80", "; filament_density: 1.24,1.24", "; filament_diameter: 1.75,1.75",
        "; max_z_height: 16.00", "; HEADER_BLOCK_END", "", "; EXECUTABLE_BLOCK_START", "M140 S60", "M104 S210",
    ] + moves + [
        "; EXECUTABLE_BLOCK_END", "", "; filament used [mm] = 0.00, 2365.10", "; filament used [cm3] = 0.00, 5.69",
        "; filament used [g] = 0.00, 7.05", "; total filament used [g] = 7.05",
        "; estimated printing time (normal mode) = 1d 2h 3m 4s", "", "; CONFIG_BLOCK_START",
        "; hot_plate_temp = 60,60", "; layer_height = 0.16", "; nozzle_temperature = 210,210", "; CONFIG_BLOCK_END",
    ]

    /// Cura (Marlin flavour), with the thumbnail of Cura's "Create Thumbnail" script.
    static let cura: [String] = [
        ";FLAVOR:Marlin", ";TIME:5025", ";Filament used: 1.2345m", ";Layer height: 0.2",
        ";MINX:97.31", ";MINY:94.214", ";MINZ:0.2", ";MAXX:137.69", ";MAXY:135.786", ";MAXZ:24",
        ";TARGET_MACHINE.NAME:Creality Ender-3", ";Generated with Cura_SteamEngine 5.4.0",
    ] + thumbnail(width: 300, height: 300, payload: png(6), size: "300 300") + [
        "M140 S60", "M105", "M190 S60", "M104 S210", "M105", "M109 S210", "M82 ;absolute extrusion mode",
        "G28 ; Home all axes", "G92 E0", "G1 F2700 E-5", ";LAYER_COUNT:120", ";LAYER:0", "M107",
        "G0 F6000 X101.313 Y98.124 Z0.2", ";TYPE:SKIRT", "G1 F1200 X102.05 Y97.511 E0.03188",
        ";TIME_ELAPSED:43.211", ";LAYER:1",
    ]

    /// Cura for an UltiMaker printer (the Griffin header).
    static let curaGriffin: [String] = [
        ";START_OF_HEADER", ";HEADER_VERSION:0.1", ";FLAVOR:Griffin", ";GENERATOR.NAME:Cura_SteamEngine",
        ";GENERATOR.VERSION:5.4.0", ";GENERATOR.BUILD_DATE:2023-06-20", ";TARGET_MACHINE.NAME:UltiMaker S5",
        ";EXTRUDER_TRAIN.0.INITIAL_TEMPERATURE:205", ";EXTRUDER_TRAIN.0.MATERIAL.VOLUME_USED:4321",
        ";EXTRUDER_TRAIN.0.NOZZLE.DIAMETER:0.4", ";BUILD_PLATE.TYPE:glass", ";BUILD_PLATE.INITIAL_TEMPERATURE:60",
        ";PRINT.TIME:7265", ";PRINT.GROUPS:1", ";END_OF_HEADER", "T0", "M82 ;absolute extrusion mode", ";LAYER_COUNT:212",
    ]
}
