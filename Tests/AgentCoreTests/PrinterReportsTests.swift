import AgentCore
import AgentJSON
import Testing

private func state(modelId: String = "20024", firmware: String? = "2.3.9") -> PrinterState {
    PrinterState(printerName: "Workshop", modelId: modelId, deviceUnionId: "UNION-1",
                 firmwareVersion: firmware, agentVersion: "0.1.0", ip: "192.168.1.20")
}

/// A supervisor following task `taskId`, or an idle one.
private func supervisor(taskId: String? = nil) -> PrintSupervisor {
    var supervisor = PrintSupervisor()
    if let taskId {
        let job = PrintJob(taskId: taskId, filename: "cube.gcode", directory: .root, source: .local,
                           absolutePath: "/data/cube.gcode", now: 0)
        _ = supervisor.begin(job, answering: Command(type: "print", action: "start"), now: 0)
    }
    return supervisor
}

/// The members of `value` (which must be an object).
private func members(_ value: JSONValue) throws -> JSONObject {
    try #require(value.objectValue, "not an object: \(value)")
}

struct PrinterReportsTests {
    @Test(arguments: [(false, "free"), (true, "busy")])
    func statusIsFreeOrBusy(busy: Bool, word: String) {
        let report = PrinterReports.status(print: supervisor(taskId: busy ? "77" : nil), msgid: "m-1")
        #expect(report.type == "status")
        #expect(report.action == "workReport")
        #expect(report.state == word)
        #expect(report.code == .ok)
        #expect(report.msgid == "m-1")
    }

    @Test func infoHasTheFirmwaresFields() throws {
        let report = PrinterReports.info(state(), print: supervisor(), canPrint: false, msgid: "m-2")
        #expect(report.type == "info")
        #expect(report.action == "report")
        #expect(report.state == "done")
        #expect(report.msgid == "m-2")
        let data = try members(report.data)
        // The Kobra S1's idle report, captured: printerName, model, ip, version, state,
        // temp{...}, print_speed_mode, fan_speed_pct, aux_fan_speed_pct, box_fan_level,
        // project, last_project, features.
        for key in ["printerName", "model", "ip", "version", "state", "temp", "print_speed_mode", "fan_speed_pct",
                    "aux_fan_speed_pct", "box_fan_level", "project", "last_project", "features"] {
            #expect(data[key] != nil, "info data has no \(key)")
        }
        #expect(data["printerName"] == .string("Workshop"))
        #expect(data["model"] == .string("Kobra 3"))
        #expect(data["ip"] == .string("192.168.1.20"))
        #expect(data["version"] == .string("2.3.9"))
        #expect(data["state"] == .string("free"))
        #expect(data["project"] == .null)
        #expect(data["last_project"] == .null)
        let features = try members(try #require(data["features"]))
        #expect(features["delete_batch_support"] == .bool(true))
        #expect(features["gcode_3mf_support"] == .bool(false), "no controller: nothing prints")
        #expect(features["preheating_support"] == .bool(false))
        #expect(features["camera_timelapse_support"] == .bool(false))
    }

    /// anycubic-cloud-api does `int()` on these: one null drops the whole report.
    @Test func nothingMeasuredIsZeroNeverNull() throws {
        var unknown = state(firmware: nil)
        unknown.ip = nil
        let data = try members(PrinterReports.info(unknown, print: supervisor(), canPrint: false, msgid: nil).data)
        for key in ["fan_speed_pct", "aux_fan_speed_pct", "box_fan_level"] {
            #expect(data[key] == .int(0), "\(key)")
        }
        #expect(data["print_speed_mode"] == .int(2))
        #expect(data["version"] == .string(""))
        #expect(data["ip"] == .string(""))
        let temp = try members(try #require(data["temp"]))
        for place in ["hotbed", "nozzle", "chamber"] {
            for prefix in ["curr", "target"] {
                #expect(temp["\(prefix)_\(place)_temp"] == .int(0), "\(prefix)_\(place)_temp")
            }
        }
    }

    @Test func measuredValuesAreWholeNumbers() throws {
        var printing = supervisor(taskId: "77")
        _ = printing.handle(.readings(ControllerReadings(nozzleTemperature: 210.5, nozzleTarget: 215, bedTemperature: 59.8,
                                                         bedTarget: 60, fanSpeedPercent: 80)), now: 0)
        _ = printing.updated(PrintSettings(speedMode: 3), answering: Command(type: "print", action: "update"))
        let data = try members(PrinterReports.info(state(), print: printing, canPrint: true, msgid: nil).data)
        let temp = try members(try #require(data["temp"]))
        #expect(temp["curr_nozzle_temp"] == .int(211))
        #expect(temp["target_nozzle_temp"] == .int(215))
        #expect(temp["curr_hotbed_temp"] == .int(60))
        #expect(temp["target_hotbed_temp"] == .int(60))
        #expect(temp["curr_chamber_temp"] == .int(0))
        #expect(data["print_speed_mode"] == .int(3))
        #expect(data["fan_speed_pct"] == .int(80))
        #expect(data["state"] == .string("busy"))
        #expect(data["features"]?["gcode_3mf_support"] == .bool(true))
        #expect(data["features"]?["preheating_support"] == .bool(true))
        let project = try members(try #require(data["project"]))
        #expect(project["task_id"] == .int(77))
        #expect(project["state"] == .string("preheating"))
        #expect(project["print_speed_mode"] == .int(3))
        for key in ["curr_layer", "total_layers", "remain_time", "supplies_usage", "progress", "print_time", "pause"] {
            #expect(project[key] == .int(0), "\(key)")
        }
    }

    @Test func theLastJobStaysAfterItEnds() throws {
        var printing = supervisor(taskId: "78")
        _ = printing.handle(.finished, now: 1_000)
        let data = try members(PrinterReports.info(state(), print: printing, canPrint: false, msgid: nil).data)
        #expect(data["project"] == .null)
        #expect(data["last_project"]?["task_id"] == .int(78))
        #expect(data["last_project"]?["state"] == .string("finished"))
    }

    @Test(arguments: [
        ("20021", "Kobra 2 Pro"), ("20022", "Kobra 2 Plus"), ("20023", "Kobra 2 Max"), ("20024", "Kobra 3"),
        ("20025", "Kobra S1"), ("20026", "Kobra 3 Max"), ("20027", "Kobra 3 V2"), ("20029", "Kobra S1 Max"),
        ("20030", "Kobra X"), ("99999", "Anycubic 99999"),
    ])
    func modelNameComesFromTheCatalog(modelId: String, name: String) throws {
        let data = try members(PrinterReports.info(state(modelId: modelId), print: supervisor(), canPrint: false, msgid: nil).data)
        #expect(data["model"] == .string(name))
    }

    @Test func versionReport() throws {
        let report = PrinterReports.version(state(), msgid: nil)
        #expect(report.type == "ota")
        #expect(report.action == "reportVersion")
        #expect(report.state == "done")
        #expect(report.code == .ok)
        let data = try members(report.data)
        #expect(data.members.map(\.key).sorted() ==
                ["device_unionid", "firmware_version", "machine_version", "model_id", "peripheral_version"])
        #expect(data["device_unionid"] == .string("UNION-1"))
        #expect(data["firmware_version"] == .string("2.3.9"))
        #expect(data["model_id"] == .string("20024"))
    }

    @Test func versionReportWithoutFirmwareIsNull() throws {
        var bare = state(firmware: nil)
        bare.deviceUnionId = nil
        let data = try members(PrinterReports.version(bare, msgid: nil).data)
        #expect(data["firmware_version"] == .null)
        #expect(data["device_unionid"] == .null)
        #expect(data["peripheral_version"] == .string(""))
    }

    @Test(arguments: [(true, "online"), (false, "offline")])
    func onlineAndOfflineReports(online: Bool, word: String) {
        let report = online ? PrinterReports.online() : PrinterReports.offline()
        #expect(report.type == "lastWill")
        #expect(report.action == "onlineReport")
        #expect(report.state == word)
        #expect(report.message == "device \(word)")
        #expect(report.msgid == nil)
        #expect(report.code == .ok)
    }

    @Test func registeredHandlersAnswerFromTheCurrentState() throws {
        let router = CommandRouter()
        var printing = supervisor()
        PrinterReports.register(in: router, state: { state() }, print: { printing }, canPrint: false)
        #expect(router.route(Command(type: "status", action: "query", msgid: "a"))?.state == "free")
        printing = supervisor(taskId: "77")
        let busy = try #require(router.route(Command(type: "status", action: "query", msgid: "b")))
        #expect(busy.state == "busy")
        #expect(busy.msgid == "b")
        #expect(router.route(Command(type: "info", action: "query", msgid: "c"))?.data["state"] == .string("busy"))
        let ota = try #require(router.route(Command(type: "ota", action: "reportVersion", msgid: "d")))
        #expect(ota.type == "ota")
        #expect(ota.msgid == "d")
        #expect(ota.code == .ok)
    }
}
