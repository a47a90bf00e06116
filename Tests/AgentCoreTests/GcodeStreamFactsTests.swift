import AgentCore
import Testing

/// `text`'s bytes as a slice.
private func line(_ text: String) -> ArraySlice<UInt8> { Array(text.utf8)[...] }

/// The facts the streaming code reads from each line of a file.
@Suite struct GcodeStreamFactsTests {
    @Test func moveHeightsAndPositioningModes() {
        #expect(GcodeStreamFacts.moveHeight(line("G1 Z0.3 F720")) == 0.3)
        #expect(GcodeStreamFacts.moveHeight(line("G0X10Z5")) == 5)
        #expect(GcodeStreamFacts.moveHeight(line("G1 X10 Y5")) == nil)
        #expect(GcodeStreamFacts.moveHeight(line("G28 Z")) == nil)
        #expect(GcodeStreamFacts.moveHeight(line("G1 Z-1")) == nil)
        #expect(GcodeStreamFacts.absolutePositioning(line("G90")) == true)
        #expect(GcodeStreamFacts.absolutePositioning(line("G91")) == false)
        #expect(GcodeStreamFacts.absolutePositioning(line("G92 E0")) == nil)
    }

    @Test func curaLayersAreZeroBased() {
        #expect(GcodeStreamFacts.layerChange(line(";LAYER:0")) == LayerMark(start: .number(1)))
        #expect(GcodeStreamFacts.layerChange(line(";LAYER:41\r")) == LayerMark(start: .number(42)))
        #expect(GcodeStreamFacts.layerChange(line("  ;LAYER:2")) == LayerMark(start: .number(3)))
        #expect(GcodeStreamFacts.layerChange(line(";LAYER:-2")) == nil)
        #expect(GcodeStreamFacts.layerChange(line(";LAYER:x")) == nil)
        #expect(GcodeStreamFacts.layerChange(line(";LAYER:2147483647")) == nil)
        #expect(GcodeStreamFacts.layerChange(line(";LAYER_COUNT:120")) == nil)
    }

    @Test func layerChangeCommentsMarkTheNextLayer() {
        #expect(GcodeStreamFacts.layerChange(line(";LAYER_CHANGE")) == LayerMark(start: .next))
        #expect(GcodeStreamFacts.layerChange(line("; LAYER_CHANGE\r")) == LayerMark(start: .next))
        #expect(GcodeStreamFacts.layerChange(line(";LAYER_CHANGED")) == nil)
    }

    @Test func klipperPrintStatsInfo() {
        #expect(GcodeStreamFacts.layerChange(line("SET_PRINT_STATS_INFO CURRENT_LAYER=5"))
            == LayerMark(start: .number(5)))
        #expect(GcodeStreamFacts.layerChange(line("SET_PRINT_STATS_INFO TOTAL_LAYER=120"))
            == LayerMark(start: nil, totalLayers: 120))
        #expect(GcodeStreamFacts.layerChange(line("SET_PRINT_STATS_INFO TOTAL_LAYER=120 CURRENT_LAYER=1 ; start"))
            == LayerMark(start: .number(1), totalLayers: 120))
        #expect(GcodeStreamFacts.layerChange(line("SET_PRINT_STATS_INFO XCURRENT_LAYER=5")) == nil)
        #expect(GcodeStreamFacts.layerChange(line("SET_PRINT_STATS_INFO")) == nil)
        #expect(GcodeStreamFacts.layerChange(line("SET_PRINT_STATS_INFOX CURRENT_LAYER=5")) == nil)
    }

    @Test func ordinaryLinesAreNoLayerChange() {
        for text in ["G1 X10 Y10 E0.5", "", "   ", "; layer_height = 0.2", ";TYPE:WALL-OUTER", "M73 P5"] {
            #expect(GcodeStreamFacts.layerChange(line(text)) == nil, "\(text)")
        }
    }

    @Test func progressHints() throws {
        let both = try #require(GcodeStreamFacts.progressHint(line("M73 P42 R17")))
        #expect(both.percent == 42 && both.remainingMinutes == 17)
        let percent = try #require(GcodeStreamFacts.progressHint(line("M73 P7")))
        #expect(percent.percent == 7 && percent.remainingMinutes == nil)
        let minutes = try #require(GcodeStreamFacts.progressHint(line("M73 R3")))
        #expect(minutes.percent == nil && minutes.remainingMinutes == 3)
        let fraction = try #require(GcodeStreamFacts.progressHint(line("M73 P12.5")))
        #expect(fraction.percent == 12)
        #expect(GcodeStreamFacts.progressHint(line("M73 Q42 S17")) == nil)
        #expect(GcodeStreamFacts.progressHint(line("M73")) == nil)
        #expect(GcodeStreamFacts.progressHint(line("M73 P150")) == nil)
        #expect(GcodeStreamFacts.progressHint(line("M730 P5")) == nil)
        #expect(GcodeStreamFacts.progressHint(line("G1 P5")) == nil)
    }

    @Test func extrudingMoves() {
        for text in ["G1 X10 E0.5", "G1X10E.5", "G0 E1", "G2 X1 Y1 I1 J0 E0.2", "G3 E+3", "g1 x1 e2", "G01 E1"] {
            #expect(GcodeStreamFacts.isExtrudingMove(line(text)), "\(text)")
        }
        for text in ["G1 X10", "G1 E-0.8", "G1 E0", "G1 E0.000", "G1 E", "G10", "G28", "M83", "G92 E0", "G1 Eabc", ""] {
            #expect(!GcodeStreamFacts.isExtrudingMove(line(text)), "\(text)")
        }
    }

    @Test func fanSpeeds() {
        #expect(GcodeStreamFacts.fanPercent(line("M106 S255")) == 100)
        #expect(GcodeStreamFacts.fanPercent(line("M106 S127.5")) == 50)
        #expect(GcodeStreamFacts.fanPercent(line("M106 S128")) == 50)
        #expect(GcodeStreamFacts.fanPercent(line("M106 S1")) == 0)
        #expect(GcodeStreamFacts.fanPercent(line("M106 S2")) == 1)
        #expect(GcodeStreamFacts.fanPercent(line("M106 S0")) == 0)
        #expect(GcodeStreamFacts.fanPercent(line("M106 S300")) == 100)
        #expect(GcodeStreamFacts.fanPercent(line("M106")) == 100)
        #expect(GcodeStreamFacts.fanPercent(line("M106 P0 S51")) == 20)
        #expect(GcodeStreamFacts.fanPercent(line("M107")) == 0)
        #expect(GcodeStreamFacts.fanPercent(line("M106 P1 S255")) == nil)
        #expect(GcodeStreamFacts.fanPercent(line("M107 P2")) == nil)
        #expect(GcodeStreamFacts.fanPercent(line("M106 S-5")) == nil)
        #expect(GcodeStreamFacts.fanPercent(line("M1060 S5")) == nil)
        #expect(GcodeStreamFacts.fanPercent(line("G1 S255")) == nil)
    }

    @Test func temperatureWaits() {
        #expect(GcodeStreamFacts.isTemperatureWait(line("M109 S210")))
        #expect(GcodeStreamFacts.isTemperatureWait(line("M190 S60")))
        #expect(!GcodeStreamFacts.isTemperatureWait(line("M104 S210")))
        #expect(!GcodeStreamFacts.isTemperatureWait(line("M140 S60")))
        #expect(!GcodeStreamFacts.isTemperatureWait(line("G109")))
        #expect(!GcodeStreamFacts.isTemperatureWait(line("M1090")))
    }

    @Test func garbageIsNothing() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let noise = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }[...]
            _ = GcodeStreamFacts.layerChange(noise)
            _ = GcodeStreamFacts.progressHint(noise)
            _ = GcodeStreamFacts.isExtrudingMove(noise)
            _ = GcodeStreamFacts.fanPercent(noise)
            _ = GcodeStreamFacts.isTemperatureWait(noise)
        }
        #expect(GcodeStreamFacts.fanPercent(line("M99999999999 S1")) == nil)
    }
}
