import AgentCore
import AgentJSON
import Testing

/// A status with `texts` applied in order (each a JSON `status` object).
private func status(_ texts: String...) throws -> KlipperStatus {
    var result = KlipperStatus()
    for text in texts { result.apply(try jsonObject(text)) }
    return result
}

/// The merged state of Klipper's subscribed objects and its typed accessors.
@Suite struct KlipperStatusTests {
    @Test func aNewStatusKnowsNothing() {
        let subject = KlipperStatus()
        #expect(subject.printState == nil)
        #expect(subject.filename == nil)
        #expect(subject.progress == nil)
        #expect(subject.isActive == nil)
        #expect(subject.currentLayer == nil)
        #expect(subject.readings == ControllerReadings())
        #expect(subject.webhooksState == nil)
    }

    @Test func aFullStatusReadsThroughEveryAccessor() throws {
        let subject = try status("""
            {"print_stats": {"filename": "models/benchy.gcode", "total_duration": 125.5, "print_duration": 100.25,
                             "filament_used": 512.75, "state": "printing", "message": "",
                             "info": {"total_layer": 250, "current_layer": 12}},
             "virtual_sdcard": {"file_path": "/x", "progress": 0.4, "is_active": true, "file_position": 1000},
             "extruder": {"temperature": 209.8, "target": 210, "power": 0.5},
             "heater_bed": {"temperature": 59.9, "target": 60},
             "fan": {"speed": 0.5, "rpm": null},
             "webhooks": {"state": "ready", "state_message": "Printer is ready"}}
            """)
        #expect(subject.printState == .printing)
        #expect(subject.filename == "models/benchy.gcode")
        #expect(subject.totalDurationSeconds == 125.5)
        #expect(subject.printDurationSeconds == 100.25)
        #expect(subject.filamentUsedMm == 512.75)
        #expect(subject.printMessage == "")
        #expect(subject.totalLayers == 250)
        #expect(subject.currentLayer == 12)
        #expect(subject.progress == 0.4)
        #expect(subject.isActive == true)
        #expect(subject.readings == ControllerReadings(nozzleTemperature: 209.8, nozzleTarget: 210, bedTemperature: 59.9,
                                                       bedTarget: 60, fanSpeedPercent: 50))
        #expect(subject.webhooksState == "ready")
        #expect(subject.webhooksMessage == "Printer is ready")
    }

    @Test func aDeltaChangesOnlyTheFieldsItCarries() throws {
        let subject = try status("""
            {"extruder": {"temperature": 25, "target": 210}, "print_stats": {"state": "printing", "filename": "a.gcode"}}
            """, """
            {"extruder": {"temperature": 150.5}}
            """, """
            {"print_stats": {"state": "paused"}}
            """)
        #expect(subject.readings.nozzleTemperature == 150.5)
        #expect(subject.readings.nozzleTarget == 210)
        #expect(subject.printState == .paused)
        #expect(subject.filename == "a.gcode")
    }

    @Test func layerInfoIsReplacedAsAWholeAndNullMeansUnset() throws {
        var subject = try status(#"{"print_stats": {"info": {"total_layer": 100, "current_layer": 3}}}"#)
        subject.apply(try jsonObject(#"{"print_stats": {"info": {"total_layer": null, "current_layer": null}}}"#))
        #expect(subject.totalLayers == nil)
        #expect(subject.currentLayer == nil)
        subject.apply(try jsonObject(#"{"print_stats": {"info": null}}"#))
        #expect(subject.totalLayers == nil)
    }

    @Test(arguments: ["standby", "printing", "paused", "complete", "cancelled", "error"])
    func everyKlipperPrintStateWordIsKnown(word: String) throws {
        let subject = try status(#"{"print_stats": {"state": "\#(word)"}}"#)
        #expect(subject.printState?.rawValue == word)
    }

    @Test func anUnknownStateWordIsNil() throws {
        #expect(try status(#"{"print_stats": {"state": "exploding"}}"#).printState == nil)
        #expect(try status(#"{"print_stats": {"state": "Printing"}}"#).printState == nil)
    }

    @Test(arguments: [(-0.5, 0.0), (0.0, 0.0), (0.25, 0.25), (1.0, 1.0), (1.7, 1.0)])
    func progressIsClampedToAFraction(raw: Double, expected: Double) throws {
        #expect(try status(#"{"virtual_sdcard": {"progress": \#(raw)}}"#).progress == expected)
    }

    @Test(arguments: [(0.0, 0), (0.004, 0), (0.005, 1), (0.333, 33), (0.666, 67), (1.0, 100), (-1.0, 0), (3.0, 100)])
    func fanSpeedBecomesARoundedClampedPercentage(speed: Double, percent: Int) throws {
        #expect(try status(#"{"fan": {"speed": \#(speed)}}"#).readings.fanSpeedPercent == percent)
    }

    @Test func fieldsOfTheWrongTypeAreUnknown() throws {
        let subject = try status("""
            {"print_stats": {"state": 3, "filename": ["a"], "print_duration": "12", "total_duration": true,
                             "filament_used": {}, "message": null, "info": {"total_layer": 2.5, "current_layer": -1}},
             "virtual_sdcard": {"progress": "half", "is_active": 1},
             "extruder": {"temperature": "hot", "target": null},
             "heater_bed": {"temperature": [], "target": false},
             "fan": {"speed": "fast"},
             "webhooks": {"state": 1, "state_message": {}}}
            """)
        #expect(subject.printState == nil)
        #expect(subject.filename == nil)
        #expect(subject.printDurationSeconds == nil)
        #expect(subject.totalDurationSeconds == nil)
        #expect(subject.filamentUsedMm == nil)
        #expect(subject.printMessage == nil)
        #expect(subject.totalLayers == nil)
        #expect(subject.currentLayer == nil)
        #expect(subject.progress == nil)
        #expect(subject.isActive == nil)
        #expect(subject.readings == ControllerReadings())
        #expect(subject.webhooksState == nil)
        #expect(subject.webhooksMessage == nil)
    }

    @Test func infiniteAndHugeNumbersDoNotCrash() throws {
        let subject = try status("""
            {"fan": {"speed": 1e999}, "extruder": {"temperature": -1e999}, "virtual_sdcard": {"progress": 1e999},
             "print_stats": {"info": {"total_layer": 1e300, "current_layer": 1e20}}}
            """)
        #expect(subject.readings.fanSpeedPercent == nil)
        #expect(subject.readings.nozzleTemperature == nil)
        #expect(subject.progress == nil)
        #expect(subject.totalLayers == nil)
        #expect(subject.currentLayer == nil)
    }

    @Test func objectsThatAreNotObjectsAndUnsubscribedObjectsAreIgnored() throws {
        var subject = try status(#"{"extruder": {"temperature": 200}}"#)
        let before = subject
        subject.apply(try jsonObject(#"{"extruder": null, "gcode_move": {"position": [1, 2, 3]}, "fan": 0.5}"#))
        #expect(subject == before)
        #expect(subject.readings.nozzleTemperature == 200)
    }

    @Test func toolheadPositionIsXYZOfItsArray() throws {
        #expect(try status(#"{"toolhead": {"position": [10.5, 20, 3.25, 1.0]}}"#).position == AxisPosition(x: 10.5, y: 20, z: 3.25))
        #expect(try status(#"{"toolhead": {"position": [10.5, 20]}}"#).position == nil)
        #expect(try status(#"{"toolhead": {"position": null}}"#).position == nil)
    }

    @Test func aRepeatedKeyInADeltaEndsWithItsLastValue() throws {
        let subject = try status(#"{"extruder": {"target": 200, "target": 215}}"#)
        #expect(subject.readings.nozzleTarget == 215)
    }

    /// Klippy's message after `M112`, as its `error_mcu` extra writes it.
    static let m112Message = "Shutdown due to M112 command\nOnce the underlying issue is corrected, use the\n"
        + "\"FIRMWARE_RESTART\" command to reset the firmware, reload the\nconfig, and restart the host software.\n"
        + "Printer is shutdown\n"

    /// A shut down Klipper's fault is its message on one line, which names what clears it.
    @Test func aShutdownIsAFaultWithKlippersMessage() throws {
        var subject = KlipperStatus()
        subject.apply(JSONObject([("webhooks", .object(JSONObject([("state", .string("shutdown")),
                                                                    ("state_message", .string(Self.m112Message))])))]))
        let expected = "Klipper shut down: Shutdown due to M112 command. Once the underlying issue is corrected, use the "
            + "\"FIRMWARE_RESTART\" command to reset the firmware, reload the config, and restart the host software. "
            + "Printer is shutdown"
        #expect(subject.fault == expected)
        #expect(subject.notReadyReason == expected)
    }

    @Test(arguments: [
        (#"{"state": "shutdown", "state_message": "MCU 'mcu' shutdown: Timer too close"}"#,
         "Klipper shut down: MCU 'mcu' shutdown: Timer too close (FIRMWARE_RESTART clears it)"),
        (#"{"state": "shutdown", "state_message": ""}"#, "Klipper shut down: no reason given (FIRMWARE_RESTART clears it)"),
        (#"{"state": "error", "state_message": "Option 'x' is not valid\nOnce the underlying issue is corrected, use the \"RESTART\"\ncommand"}"#,
         "Klipper stopped on an error: Option 'x' is not valid. Once the underlying issue is corrected, use the \"RESTART\" command"),
        (#"{"state": "error"}"#, "Klipper stopped on an error: no reason given (fix it, then RESTART)"),
    ])
    func faultsSayWhatClearsThem(webhooks: String, fault: String) throws {
        let subject = try status(#"{"webhooks": "# + webhooks + "}")
        #expect(subject.fault == fault)
        #expect(subject.notReadyReason == fault)
    }

    @Test func aStartingKlipperIsNotReadyButHasNoFault() throws {
        let starting = try status(#"{"webhooks": {"state": "startup", "state_message": "\nPrinter is not ready\nThe klippy host software is attempting to connect.  Please\nretry in a few moments.\n"}}"#)
        #expect(starting.fault == nil)
        #expect(starting.notReadyReason == "Klipper is starting up: Printer is not ready. The klippy host software is attempting to connect.  Please retry in a few moments.")
        for ready in [KlipperStatus(), try status(#"{"webhooks": {"state": "ready", "state_message": "Printer is ready"}}"#)] {
            #expect(ready.fault == nil)
            #expect(ready.notReadyReason == nil)
        }
    }
}
