import AgentCore
import AgentJSON
import Testing

private func data(_ text: String) throws -> JSONValue { try JSONCodec.parse(text) }

/// The failure `body` throws (the test fails when it throws none).
private func failure(_ body: () throws -> Void) -> CommandFailure? {
    do {
        try body()
        Issue.record("no failure")
    } catch let failure as CommandFailure {
        return failure
    } catch {
        Issue.record("threw \(error), not a CommandFailure")
    }
    return nil
}

/// A configuration from `key = value` lines.
private func controls(_ lines: String) throws -> ControlConfig {
    var config = AgentConfig()
    try ConfigFile.apply(lines + "\n", path: "test.conf", to: &config)
    return config.controls
}

/// The configuration keys of the controls and what they accept.
@Suite struct ControlConfigTests {
    @Test func defaultsHaveNoLightsNoAuxFanAndTheConsoleOff() throws {
        let config = ControlConfig()
        #expect(config.auxFanIndex == nil && config.klipperAuxFan == nil)
        #expect(LightType.allCases.allSatisfy { config.light($0) == nil })
        #expect(config.consoleAllowed.isEmpty)
        let kobra3 = config.axisMap(forModel: "20024"), kobraX = config.axisMap(forModel: "20030")
        #expect(kobra3.axes(of: 1) == "X" && kobra3.axes(of: 5) == "XYZ" && kobra3.axes(of: 4) == nil)
        #expect(kobraX.axes(of: 1) == "Y" && kobraX.axes(of: 2) == "X" && kobraX.axes(of: 4) == "XYZ", "as KX-Bridge drives a Kobra X")
        #expect(config.ledsRoot == "/sys/class/leds")
    }

    @Test func everyKeyIsRead() throws {
        let config = try controls("""
            aux_fan_index = 2
            klipper_aux_fan = aux_fan
            axis_map = 1:y, 2:x, 3:Z, 4:zyx
            axis_max_distance = 50
            light_head = marlin-m355
            light_chamber = gcode:M42 P4 S{pwm}\\nM400|M42 P4 S0
            light_camera = led:cam-light
            leds_root = /tmp/leds
            gcode_console = g28 M503,m114 set_pin
            """)
        #expect(config.auxFanIndex == 2 && config.klipperAuxFan == "aux_fan")
        let map = config.axisMap(forModel: "20024")
        #expect(map.axes(of: 1) == "Y" && map.axes(of: 2) == "X" && map.axes(of: 4) == "XYZ")
        #expect(config.maxJogMm == 50)
        #expect(config.headLight == .marlinCaseLight)
        #expect(config.chamberLight == .gcode(on: ["M42 P4 S{pwm}", "M400"], off: ["M42 P4 S0"]))
        #expect(config.cameraLight == .linuxLed("cam-light"))
        #expect(config.ledsRoot == "/tmp/leds")
        #expect(config.consoleAllowed == ["G28", "M503", "M114", "SET_PIN"])
    }

    @Test(arguments: [
        "aux_fan_index = 0", "klipper_aux_fan = a b", "axis_map = 1:W", "axis_map = 1:X,1:Y", "axis_map = X",
        "axis_map = 1:XX", "axis_max_distance = 0", "light_head = m355", "light_head = gcode:M355 S1",
        "light_head = gcode:|M355 S0", "light_head = led:../../etc", "light_head = klipper-pin:", "leds_root = leds",
        "gcode_console = G28 r-m", "gcode_console = M", "gcode_console = 28",
    ])
    func badValuesAreRefusedNamingTheKey(line: String) throws {
        let error = configError { _ = try controls(line) }
        let key = String(line.prefix { $0 != " " })
        #expect(error?.origin == "test.conf:1", "\(line)")
        let message = error?.message ?? ""
        #expect(!message.isEmpty && (!key.hasPrefix("light") || message.contains(key)), "\(line): \(message)")
    }
}

/// `tempature/set`, `fan/set` and the fans of `print/update`.
@Suite struct ControlSettingsTests {
    @Test func temperaturesTakeEitherOrBothInThePrintUpdateRanges() throws {
        #expect(try PrintSettings.temperatures(data(#"{"target_nozzle_temp":210}"#)) == PrintSettings(nozzleTarget: 210))
        #expect(try PrintSettings.temperatures(data(#"{"target_nozzle_temp":0,"target_hotbed_temp":60}"#))
            == PrintSettings(nozzleTarget: 0, bedTarget: 60))
        #expect(failure { _ = try PrintSettings.temperatures(data(#"{"target_hotbed_temp":130}"#)) }
            == CommandFailure(.badRequest, "\"target_hotbed_temp\" is 130, expected 0 to 120"))
        #expect(failure { _ = try PrintSettings.temperatures(data(#"{"fan_speed_pct":10}"#)) }?.code == .badRequest)
    }

    @Test func auxFanNeedsOneConfiguredUnlessItIsZero() throws {
        let both = try data(#"{"fan_speed_pct":40,"aux_fan_speed_pct":70,"box_fan_level":0}"#)
        #expect(try PrintSettings.fans(both, hasAuxFan: true) == PrintSettings(fanPercent: 40, auxFanPercent: 70, boxFanLevel: 0))
        let refused = failure { _ = try PrintSettings.fans(both, hasAuxFan: false) }
        #expect(refused?.code == .badRequest)
        #expect(refused?.message.contains("aux_fan_index") == true)
        #expect(try PrintSettings.fans(data(#"{"fan_speed_pct":40,"aux_fan_speed_pct":0}"#), hasAuxFan: false)
            == PrintSettings(fanPercent: 40), "0 for a fan that is not there is what the reports say")
        #expect(failure { _ = try PrintSettings.fans(data(#"{"box_fan_level":1}"#), hasAuxFan: true) }?.code == .badRequest)
    }

    @Test func printUpdateAcceptsTheFansTheSameWay() throws {
        let settings = try PrintSettings.parse(data(#"{"settings":{"aux_fan_speed_pct":30,"box_fan_level":0}}"#), hasAuxFan: true)
        #expect(settings == PrintSettings(auxFanPercent: 30, boxFanLevel: 0))
        #expect(settings.reportData["aux_fan_speed_pct"] == .int(30))
    }

    @Test func fanGcodeOfBothControllers() {
        let settings = PrintSettings(fanPercent: 100, auxFanPercent: 50)
        #expect(MarlinGcode.settings(settings, zOffsetChange: nil, auxFanIndex: 1).map { String(decoding: $0, as: UTF8.self) }
            == ["M106 S255", "M106 P1 S128"])
        #expect(MarlinGcode.settings(settings, zOffsetChange: nil).map { String(decoding: $0, as: UTF8.self) } == ["M106 S255"])
        #expect(KlipperGcode.settings(nozzleTarget: nil, bedTarget: nil, fanPercent: 100, speedPercent: nil, zOffset: nil,
                                      auxFan: ("aux_fan", 50)) == ["M106 S255", "SET_FAN_SPEED FAN=aux_fan SPEED=0.5"])
    }
}

/// `axis/move`: the request, the axis numbering and the G-code.
@Suite struct AxisMoveTests {
    private let map = AxisMap.standard

    @Test func homeAllIsBareG28AndHomeOneNamesIt() throws {
        #expect(try AxisMove.parse(data(#"{"axis":5,"move_type":2,"distance":0}"#), map: map, maxJogMm: 100).gcode == ["G28", "M400"])
        #expect(try AxisMove.parse(data(#"{"axis":3,"move_type":2}"#), map: map, maxJogMm: 100).gcode == ["G28 Z", "M400"])
        let pair = try AxisMap.parse("1:XY")
        #expect(try AxisMove.parse(data(#"{"axis":1,"move_type":2}"#), map: pair, maxJogMm: 100).gcode == ["G28 X Y", "M400"])
    }

    @Test func jogIsRelativeAtTheAxisFeedThenAbsoluteAgain() throws {
        #expect(try AxisMove.parse(data(#"{"axis":1,"move_type":1,"distance":10}"#), map: map, maxJogMm: 100).gcode
            == ["G91", "G1 X10 F3000", "G90", "M400"])
        #expect(try AxisMove.parse(data(#"{"axis":3,"move_type":0,"distance":0.1}"#), map: map, maxJogMm: 100).gcode
            == ["G91", "G1 Z-0.1 F600", "G90", "M400"])
        let kobraX = try AxisMap.parse("1:Y,2:X,3:Z,4:XYZ")
        #expect(try AxisMove.parse(data(#"{"axis":1,"move_type":0,"distance":5}"#), map: kobraX, maxJogMm: 100)
            == AxisMove(axes: "Y", kind: .jog(-5)))
    }

    @Test(arguments: [
        (#"{"move_type":1,"distance":1}"#, "\"axis\" is missing"),
        (#"{"axis":4,"move_type":1,"distance":1}"#, "unknown axis 4; this printer's axes are 1 (X), 2 (Y), 3 (Z), 5 (XYZ) (axis_map)"),
        (#"{"axis":1,"move_type":3,"distance":1}"#, "\"move_type\" is 3, expected 0 to 2"),
        (#"{"axis":1,"distance":1}"#, "\"move_type\" is missing (0 minus, 1 plus, 2 home)"),
        (#"{"axis":1,"move_type":1}"#, "\"distance\" is missing (millimetres, up to 100)"),
        (#"{"axis":1,"move_type":1,"distance":0}"#, "\"distance\" must be above 0 mm"),
        (#"{"axis":1,"move_type":1,"distance":101}"#, "\"distance\" is 101, expected 0 to 100"),
        (#"{"axis":1,"move_type":1,"distance":"5"}"#, "\"distance\" is a string, expected a number"),
        (#"{"axis":5,"move_type":1,"distance":5}"#, "axis 5 names XYZ: several axes can only be homed (move_type 2), not jogged"),
    ])
    func badMovesAreRefused(payload: String, message: String) throws {
        #expect(failure { _ = try AxisMove.parse(data(payload), map: map, maxJogMm: 100) } == CommandFailure(.badRequest, message))
    }

    @Test func positionReportIsRoundedCoordinates() {
        #expect(AxisPosition(x: 10.004, y: -2.5, z: 0).reportData
            == .object(JSONObject([("coordinates", .object(JSONObject([("x", .number(10)), ("y", .number(-2.5)), ("z", .number(0))])))])))
    }
}

/// `light/control` and `light/query`.
@Suite struct LightControlTests {
    @Test func eachKindOfLightHasItsGcode() {
        let on = LightState(type: .head, on: true, brightness: 50)
        let off = LightState(type: .head, on: false, brightness: 50)
        #expect(LightControl.gcode(.marlinCaseLight, on) == ["M355 S1 P128"])
        #expect(LightControl.gcode(.marlinCaseLight, off) == ["M355 S0"])
        #expect(LightControl.gcode(.marlinLedStrip, on) == ["M150 R128 U128 B128 W128"])
        #expect(LightControl.gcode(.marlinLedStrip, off) == ["M150 R0 U0 B0 W0"])
        let template = LightAction.gcode(on: ["M42 P4 S{pwm}", "M117 {percent}%"], off: ["M42 P4 S0"])
        #expect(LightControl.gcode(template, on) == ["M42 P4 S128", "M117 50%"])
        #expect(LightControl.gcode(template, off) == ["M42 P4 S0"])
        #expect(LightControl.gcode(.klipperPin("caselight"), on) == ["SET_PIN PIN=caselight VALUE=0.5"])
        #expect(LightControl.gcode(.klipperPin("caselight"), off) == ["SET_PIN PIN=caselight VALUE=0"])
        #expect(LightControl.gcode(.klipperLed("strip"), on) == ["SET_LED LED=strip RED=0.5 GREEN=0.5 BLUE=0.5 WHITE=0.5"])
        #expect(LightControl.gcode(.linuxLed("x"), on).isEmpty)
        #expect(LightControl.ledValue(on, maxBrightness: 255) == 128)
        #expect(LightControl.ledValue(off, maxBrightness: 255) == 0)
    }

    @Test func requestNeedsAConfiguredLightAndKeepsTheBrightnessWhenLeftOut() throws {
        var config = ControlConfig()
        config.chamberLight = .marlinCaseLight
        let (state, action) = try LightControl.parse(data(#"{"type":2,"status":1}"#), config: config) { _ in
            LightState(type: .chamber, on: false, brightness: 30)
        }
        #expect(state == LightState(type: .chamber, on: true, brightness: 30) && action == .marlinCaseLight)
        #expect(try LightControl.parse(data(#"{"type":2,"status":1}"#), config: config) { _ in nil }.0.brightness == 100)
        #expect(failure { _ = try LightControl.parse(data(#"{"type":1,"status":1}"#), config: config) { _ in nil } }
            == CommandFailure(.conflict, "this printer has no head light configured (set light_head in the configuration)"))
        #expect(failure { _ = try LightControl.parse(data(#"{"type":4,"status":1}"#), config: config) { _ in nil } }?.code == .badRequest)
        #expect(failure { _ = try LightControl.parse(data(#"{"type":2,"status":2}"#), config: config) { _ in nil } }?.code == .badRequest)
        #expect(failure { _ = try LightControl.parse(data(#"{"type":2,"status":1,"brightness":101}"#), config: config) { _ in nil } }?
            .code == .badRequest)
    }

    @Test func queryListsTheConfiguredLightsOnly() throws {
        var config = ControlConfig()
        #expect(LightControl.queryData(config: config) { _ in nil } == .object(JSONObject([("lights", .array([]))])))
        config.cameraLight = .linuxLed("cam")
        config.headLight = .marlinCaseLight
        let lights = LightControl.queryData(config: config) { $0 == .camera ? LightState(type: .camera, on: true, brightness: 80) : nil }
        #expect(JSONCodec.print(lights) == #"{"lights":[{"type":1,"status":0,"brightness":0},{"type":3,"status":1,"brightness":80}]}"#)
    }
}

/// `gcode/send`, the console, and its allow-list.
@Suite struct ConsoleRequestTests {
    @Test func allowedLinesAreTrimmedWithoutCommentsOrBlankLines() throws {
        #expect(try ConsoleRequest.parse(data(#"{"gcode":" g28 X ; home\n\n M503\r\n"}"#), allowed: ["G28", "M503"])
            == ["G28 X", "M503"])
    }

    @Test func consoleOffOrACommandOutsideTheListIsForbiddenAndNothingIsSent() throws {
        #expect(failure { _ = try ConsoleRequest.parse(data(#"{"gcode":"M503"}"#), allowed: []) }
            == CommandFailure(.forbidden, "the G-code console is off on this printer (set gcode_console in the configuration)"))
        #expect(failure { _ = try ConsoleRequest.parse(data(#"{"gcode":"M503\nM502"}"#), allowed: ["M503"]) }
            == CommandFailure(.forbidden, "M502 is not allowed on this printer's console; allowed: M503 (gcode_console)"))
    }

    @Test(arguments: [#"{"gcode":""}"#, #"{"gcode":"; only a comment"}"#, #"{}"#, #"{"gcode":5}"#, #"{"gcode":"N5 M503"}"#,
                      #"{"gcode":"M503*12"}"#, #"{"gcode":"M503 \u0001"}"#])
    func malformedConsoleInputIsABadRequest(payload: String) throws {
        #expect(failure { _ = try ConsoleRequest.parse(data(payload), allowed: ["M503"]) }?.code == .badRequest)
    }

    @Test func tooManyLinesAreRefused() throws {
        let text = Array(repeating: "M503", count: ConsoleRequest.maxLines + 1).joined(separator: "\\n")
        #expect(failure { _ = try ConsoleRequest.parse(data(#"{"gcode":"\#(text)"}"#), allowed: ["M503"]) }?.code == .badRequest)
    }
}
