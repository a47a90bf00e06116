import Testing
@testable import printer_sim

/// The parsers the simulators share, checked directly: Klipper's extended parameters and
/// Marlin's line checks.
@Suite struct GcodeParsingTests {
    @Test func extendedParametersSplitLikeShlex() throws {
        #expect(ExtendedParameters.split(#"A=1 B="two words" C='single \q' D=x\ y"#)
                == ["A=1", "B=two words", #"C=single \q"#, "D=x y"])
        #expect(ExtendedParameters.split(#"F="a \"b\" \\ \c""#) == [#"F=a "b" \ \c"#])
        #expect(ExtendedParameters.split(#"F="open"#) == nil)
        #expect(ExtendedParameters.split(#"F=\"#) == nil)
        let command = try #require(GcodeCommand(#"sdcard_print_file filename="x.gcode" ; comment"#))
        #expect(command.name == "SDCARD_PRINT_FILE")
        #expect(try ExtendedParameters.parse(command) == ["FILENAME": "x.gcode"])
        let malformed = try #require(GcodeCommand("SET_PRINT_STATS_INFO TOTAL_LAYER"))
        #expect(throws: GcodeError.self) { try ExtendedParameters.parse(malformed) }
    }

    @Test func classicCommandsHaveLetterParameters() throws {
        let move = try #require(GcodeCommand("g01 x10Y-2.5 e.4 F1200 ; travel"))
        #expect(move.name == "G1")
        #expect(move.isLinearMove)
        #expect(move.number("X") == 10 && move.number("Y") == -2.5 && move.number("E") == 0.4)
        #expect(move.text == "g01 x10Y-2.5 e.4 F1200")
        #expect(GcodeCommand("   ; only a comment") == nil)
    }

    @Test func lineNumbersAndChecksumsAreCheckedLikeMarlin() throws {
        var numbering = LineNumbering()
        let check = { (numbering: LineNumbering, line: String) in numbering.check(ArraySlice(line.utf8)) }
        let first = try check(numbering, "N1 G28*18").get()
        #expect(first.command == "G28" && first.lineNumber == 1)
        numbering.take(first)
        #expect(numbering.lastLine == 1)
        #expect(throws: LineNumbering.Failure.checksumMismatch) { try check(numbering, "N2 G28*18").get() }
        #expect(throws: LineNumbering.Failure.wrongLineNumber) { try check(numbering, "N5 G28*19").get() }
        #expect(throws: LineNumbering.Failure.noChecksum) { try check(numbering, "N2 G28").get() }
        // A line cut after its N (a corrupted byte read as a line end) is refused, never run.
        for fragment in ["N", "N ", "Nx2 G28"] {
            #expect(throws: LineNumbering.Failure.wrongLineNumber) { try check(numbering, fragment).get() }
        }
        let reset = try check(numbering, SerialLink.numbered(9, "M110 N100")).get()
        #expect(reset.newLastLine == 100)
        #expect(LineNumbering.checksum(of: "N1 G28".utf8) == 18)
    }

    /// Two equal characters corrupted into two different bytes that are not UTF-8: the XOR of
    /// the bytes changes, so Marlin refuses the line. (Read as UTF-8 first, both became U+FFFD
    /// and the line passed: a fresh-clone run executed `G1 X18?.? Y11` that way.)
    @Test func corruptedBytesAreCheckedAsBytes() throws {
        var numbering = LineNumbering()
        numbering.take(try numbering.check(ArraySlice(SerialLink.numbered(1, "M110 N42389").utf8)).get())
        var line = Array(SerialLink.numbered(42_390, "G1 X188.8 Y11 E0.01").utf8)
        let x = try #require(line.firstIndex(of: UInt8(ascii: "X")))
        line[x + 3] = 0x98  // X18|8|.8
        line[x + 5] = 0xB8  // X188.|8|
        #expect(String(decoding: line, as: UTF8.self).contains("X18\u{FFFD}.\u{FFFD} Y11"))
        #expect(throws: LineNumbering.Failure.checksumMismatch) { try numbering.check(line[...]).get() }
    }
}
