import AgentCore
import Testing

/// The failure `KlipperGcode.printFile` throws for `path`, or nil when it accepts it.
private func printFileFailure(_ path: String) -> CommandFailure? {
    do {
        _ = try KlipperGcode.printFile(path)
        return nil
    } catch {
        return error
    }
}

/// The G-code lines sent through Klipper's `gcode/script`: the print command's quoting and
/// the `print/update` settings.
@Suite struct KlipperGcodeTests {
    /// Names that go inside the double quotes exactly as they are.
    @Test(arguments: [
        "benchy.gcode",
        "models/benchy.gcode",
        "/usb/benchy.gcode",
        "my first print.gcode",
        "  leading and trailing spaces  .gcode",
        "it's.gcode",
        "$HOME.gcode",
        "`id`.gcode",
        "a=b.gcode",
        "{braces} [brackets] (parens) <angles> & | ! ? % @ ~ ^ + , : 100%.gcode",
        "Modèle été.gcode",
        "日本語 ファイル.gcode",
        "emoji 🐢.gcode",
    ])
    func namesPassThroughUnchangedInsideDoubleQuotes(path: String) throws {
        #expect(try KlipperGcode.printFile(path) == "SDCARD_PRINT_FILE FILENAME=\"\(path)\"")
    }

    /// Names with a character Klipper would change or cut, and the words naming it.
    @Test(arguments: [
        ("say \"hi\".gcode", "a double quote (\")"),
        ("back\\slash.gcode", "a backslash (\\)"),
        ("part#2.gcode", "a hash sign (#)"),
        ("star*.gcode", "an asterisk (*)"),
        ("semi;colon.gcode", "a semicolon (;)"),
        ("two\nlines.gcode", "a line feed"),
        ("cr\r.gcode", "a carriage return"),
        ("tab\t.gcode", "a tab"),
        ("nul\u{0}.gcode", "the control character 0x00"),
        ("bell\u{7}.gcode", "the control character 0x07"),
        ("etx\u{3}.gcode", "the control character 0x03"),
        ("esc\u{1B}.gcode", "the control character 0x1B"),
        ("unit\u{1F}.gcode", "the control character 0x1F"),
        ("del\u{7F}.gcode", "the control character DEL (0x7F)"),
    ])
    func unsafeCharactersAreRefusedByName(path: String, name: String) throws {
        let failure = try #require(printFileFailure(path))
        #expect(failure.code == .badRequest)
        #expect(failure.message == "the file name contains \(name), which Klipper cannot take in a print command; rename the file")
    }

    @Test func everyControlCharacterIsRefused() {
        for byte in UInt8(0)..<0x20 {
            let path = "x" + String(decoding: [byte], as: UTF8.self) + "y"
            #expect(printFileFailure(path)?.code == .badRequest, "byte \(byte)")
        }
    }

    @Test func anEmptyNameIsRefused() throws {
        let failure = try #require(printFileFailure(""))
        #expect(failure.code == .badRequest)
        #expect(failure.message == "the file name to print is empty")
    }

    @Test func settingsGiveOneCommandPerValueInOrder() {
        #expect(KlipperGcode.settings(nozzleTarget: 210, bedTarget: 60, fanPercent: 100, speedPercent: 150, zOffset: -0.05) == [
            "SET_HEATER_TEMPERATURE HEATER=extruder TARGET=210",
            "SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=60",
            "M106 S255",
            "M220 S150",
            "SET_GCODE_OFFSET Z=-0.05 MOVE=1",
        ])
        #expect(KlipperGcode.settings(nozzleTarget: nil, bedTarget: nil, fanPercent: nil, speedPercent: nil, zOffset: nil) == [])
        #expect(KlipperGcode.settings(nozzleTarget: nil, bedTarget: 0, fanPercent: nil, speedPercent: nil, zOffset: nil) == [
            "SET_HEATER_TEMPERATURE HEATER=heater_bed TARGET=0",
        ])
    }

    @Test(arguments: [(0, "M106 S0"), (1, "M106 S3"), (50, "M106 S128"), (99, "M106 S252"), (100, "M106 S255"),
                      (-5, "M106 S0"), (250, "M106 S255")])
    func fanPercentBecomesAnM106Value(percent: Int, line: String) {
        #expect(KlipperGcode.settings(nozzleTarget: nil, bedTarget: nil, fanPercent: percent, speedPercent: nil, zOffset: nil)
            == [line])
    }

    /// Numbers are written with at most 3 decimals, no exponent and no trailing zeros.
    @Test(arguments: [
        (0.0, "0"), (-0.0, "0"), (215.0, "215"), (215.5, "215.5"), (0.1, "0.1"), (0.2 + 0.1, "0.3"),
        (1.0 / 3.0, "0.333"), (2.0 / 3.0, "0.667"), (0.05, "0.05"), (-0.05, "-0.05"), (0.001, "0.001"),
        (0.0004, "0"), (-0.0004, "0"), (0.0005, "0.001"), (-1.25, "-1.25"), (0.00001, "0"), (1e-20, "0"),
        (1.9996, "2"), (1.9994, "1.999"), (123456789.125, "123456789.125"), (1e15, "1000000000000"),
    ])
    func zOffsetIsWrittenWithoutExponentOrGarbage(value: Double, text: String) {
        #expect(KlipperGcode.settings(nozzleTarget: nil, bedTarget: nil, fanPercent: nil, speedPercent: nil, zOffset: value)
            == ["SET_GCODE_OFFSET Z=\(text) MOVE=1"])
    }

    @Test func valuesThatAreNotNumbersGiveNoCommand() {
        #expect(KlipperGcode.settings(nozzleTarget: .nan, bedTarget: .infinity, fanPercent: nil, speedPercent: nil,
                                      zOffset: -.infinity) == [])
    }
}
