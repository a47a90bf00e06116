import AgentCore
import AgentJSON
import Testing

/// Which plate of a `.gcode.3mf` is printed, and which names are such archives.
@Suite struct SlicedArchiveTests {
    private func entries(_ names: [String]) -> [ZipEntry] {
        names.map { ZipEntry(name: $0, method: ZipEntry.deflated, crc: 0, compressedSize: 1, uncompressedSize: 1, localHeaderOffset: 0) }
    }

    private func plate(_ names: [String], _ wanted: Int? = nil) throws(CommandFailure) -> String {
        try SlicedArchive.plateEntry(in: entries(names), plate: wanted).entry.name
    }

    private let twoPlates = ["Metadata/plate_2.gcode", "Metadata/plate_1.png", "Metadata/plate_1.gcode",
                             "Metadata/plate_1.gcode.md5", "Metadata/slice_info.config"]

    @Test func plateOneByDefaultAndTheNamedPlateWhenAsked() throws {
        #expect(try plate(twoPlates) == "Metadata/plate_1.gcode")
        #expect(try plate(twoPlates, 2) == "Metadata/plate_2.gcode")
    }

    @Test func theOnlyPlateWhateverItsNumber() throws {
        #expect(try plate(["Metadata/plate_3.gcode", "Metadata/plate_3.png"]) == "Metadata/plate_3.gcode")
    }

    @Test func aMissingPlateNamesThePlatesThereAre() {
        #expect(throws: CommandFailure(.badRequest, "it has no plate 3 (its plates: 1, 2)")) { try plate(twoPlates, 3) }
        #expect(throws: CommandFailure(.badRequest, "it holds plates 2, 4 and no plate 1: say which with \"plate_index\"")) {
            try plate(["Metadata/plate_4.gcode", "Metadata/plate_2.gcode"])
        }
    }

    @Test func anArchiveWithoutSlicedGcodeOrWithAPlateTwiceIsRefused() {
        #expect(throws: CommandFailure.self) { try plate(["3D/3dmodel.model", "Metadata/plate_1.png", "Metadata/plate_01.gcode"]) }
        #expect(throws: CommandFailure(.verificationFailed, "it holds plate 1's G-code twice")) {
            try plate(["Metadata/plate_1.gcode", "Metadata/plate_1.gcode"])
        }
    }

    @Test func archivesAreKnownByTheirWholeSuffix() {
        #expect(SlicedArchive.isArchive("cube.gcode.3mf"))
        #expect(SlicedArchive.isArchive("CUBE.GCODE.3MF"))
        #expect(!SlicedArchive.isArchive("cube.3mf"))
        #expect(!SlicedArchive.isArchive(".gcode.3mf"))
    }

    @Test func thePlateIndexIsAWholeNumberFromOne() throws {
        #expect(try SlicedArchive.requestedPlate(in: .object(JSONObject([("plate_index", .int(2))]))) == 2)
        #expect(try SlicedArchive.requestedPlate(in: .object(JSONObject([]))) == nil)
        #expect(throws: CommandFailure.self) { try SlicedArchive.requestedPlate(in: .object(JSONObject([("plate_index", .int(0))]))) }
        #expect(throws: CommandFailure.self) {
            try SlicedArchive.requestedPlate(in: .object(JSONObject([("plate_index", .string("one"))])))
        }
    }
}
