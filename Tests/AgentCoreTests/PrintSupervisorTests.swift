import AgentCore
import AgentJSON
import Testing

/// A job on the local storage, started at time 0.
private func job(totalLayers: Int? = 100, estimatedSeconds: Int64? = nil) -> PrintJob {
    PrintJob(taskId: "t-1", filename: "cube.gcode", directory: .root, source: .local,
             absolutePath: "/mnt/UDISK/cube.gcode", totalLayers: totalLayers, estimatedSeconds: estimatedSeconds, now: 0)
}

private func command(_ action: String, msgid: String = "m", data: JSONValue = .null) -> Command {
    Command(type: "print", action: action, msgid: msgid, data: data)
}

/// A supervisor whose job has started and is printing (extruded at 1 s).
private func printing() -> PrintSupervisor {
    var supervisor = PrintSupervisor()
    _ = supervisor.begin(job(), answering: command("start"), now: 0)
    _ = supervisor.handle(.extruding, now: 1_000)
    return supervisor
}

@Suite("Print supervisor lifecycle")
struct PrintSupervisorLifecycleTests {
    @Test func startAnswersPreheatingThenBusy() {
        var supervisor = PrintSupervisor()
        let reports = supervisor.begin(job(), answering: command("start", msgid: "s-1"), now: 0)
        #expect(reports.map(\.state) == ["preheating", "busy"])
        #expect(reports[0].msgid == "s-1")
        #expect(reports[0].type == "print" && reports[0].action == "start")
        #expect(reports[0].data["taskid"] == .string("t-1"))
        #expect(supervisor.job?.phase.printStatus == 6)
        #expect(reports[1].type == "status" && reports[1].action == "workReport")
        #expect(supervisor.isActive)
    }

    @Test func firstExtrusionEndsPreheating() {
        var supervisor = PrintSupervisor()
        _ = supervisor.begin(job(), answering: command("start"), now: 0)
        let reports = supervisor.handle(.extruding, now: 5_000)
        #expect(reports.map(\.state) == ["printing"])
        #expect(supervisor.job?.phase.printStatus == 1)
        #expect(supervisor.handle(.extruding, now: 5_100).isEmpty)
    }

    @Test func pauseResumeAndStopFollowTheStockWords() throws {
        var supervisor = printing()
        guard case .ask(.pausing) = try supervisor.transition(for: command("pause")) else {
            Issue.record("pause should ask the backend")
            return
        }
        #expect(supervisor.enter(.pausing, answering: command("pause", msgid: "p")).state == "pausing")
        let paused = supervisor.handle(.paused, now: 2_000)
        #expect(paused.map(\.state) == ["paused"])
        #expect(paused[0].action == "pause")
        #expect(supervisor.job?.phase.pauseStatus == 1)
        #expect(try supervisor.transition(for: command("pause")) == .answer(Report(
            type: "print", action: "pause", msgid: "m", state: "paused", data: paused[0].data)))

        guard case .ask(.resuming) = try supervisor.transition(for: command("resume")) else {
            Issue.record("resume should ask the backend")
            return
        }
        #expect(supervisor.enter(.resuming, answering: command("resume")).state == "resuming")
        let resumed = supervisor.handle(.resumed, now: 3_000)
        #expect(resumed.first?.state == "resumed")
        #expect(resumed.first?.action == "resume")
        #expect(supervisor.job?.phase == .printing)

        guard case .ask(.stopping) = try supervisor.transition(for: command("stop")) else {
            Issue.record("stop should ask the backend")
            return
        }
        #expect(supervisor.enter(.stopping, answering: command("stop")).state == "stopping")
        let stopped = supervisor.handle(.stopped, now: 4_000)
        #expect(stopped.map(\.state) == ["stoped", "free"])
        #expect(stopped[0].action == "stop")
        #expect(supervisor.lastJob?.phase.printStatus == 3)
        #expect(!supervisor.isActive)
    }

    @Test func finishedReportsOneHundredPercentAndFree() {
        var supervisor = printing()
        _ = supervisor.handle(.progress(PrintProgress(fraction: 0.5)), now: 2_000)
        let reports = supervisor.handle(.finished, now: 3_000)
        #expect(reports.map(\.state) == ["finished", "free"])
        #expect(reports[0].data["progress"] == .int(100))
        #expect(reports[0].data["remain_time"] == .int(0))
        #expect(supervisor.lastJob?.phase.printStatus == 2)
        #expect(supervisor.job == nil)
    }

    @Test func failureCarriesTheReasonAndCode() {
        var supervisor = printing()
        let reports = supervisor.handle(.failed("the board restarted"), now: 2_000)
        #expect(reports.map(\.state) == ["failed", "free"])
        #expect(reports[0].code == .controllerFailed)
        #expect(reports[0].message == "the board restarted")
        #expect(!supervisor.isActive)
    }

    @Test func eventsWithoutAJobChangeNothingButReadings() {
        var supervisor = PrintSupervisor()
        #expect(supervisor.handle(.finished, now: 0).isEmpty)
        #expect(supervisor.handle(.paused, now: 0).isEmpty)
        #expect(supervisor.handle(.failed("x"), now: 0).isEmpty)
        // The firmware answers `print/query` only while a job exists.
        #expect(supervisor.query(command("query")) == nil)
    }

    @Test func aRunningPrintIsAdoptedOnce() {
        var supervisor = PrintSupervisor()
        var running = job()
        running.phase = .paused
        let reports = supervisor.adopt(running, now: 0)
        #expect(reports.map(\.state) == ["busy", "paused"])
        #expect(supervisor.job?.phase == .paused)
        #expect(supervisor.adopt(job(), now: 1).isEmpty)
        #expect(supervisor.handle(.resumed, now: 2).first?.state == "resumed")
    }

    @Test func controllerInitiatedPauseIsReported() {
        var supervisor = printing()
        let reports = supervisor.handle(.paused, now: 2_000)
        #expect(reports.map(\.state) == ["paused"])
        #expect(reports[0].msgid == nil)
    }
}

@Suite("Print supervisor command checks")
struct PrintSupervisorCommandTests {
    @Test func noJobIsAConflict() {
        let supervisor = PrintSupervisor()
        for action in ["pause", "resume", "stop", "cancel"] {
            #expect(throws: CommandFailure(.conflict, "no print is active")) { try supervisor.transition(for: command(action)) }
        }
    }

    @Test func anotherTaskIdIsAConflict() throws {
        let supervisor = printing()
        let other = command("pause", data: .object(JSONObject([("taskid", .string("t-2"))])))
        #expect(throws: CommandFailure(.conflict, "task t-2 is not the active print (the active task is t-1)")) {
            try supervisor.transition(for: other)
        }
        let same = command("pause", data: .object(JSONObject([("taskid", .string("t-1"))])))
        #expect(try supervisor.transition(for: same) == .ask(.pausing))
    }

    @Test func numericTaskIdsMatch() throws {
        var supervisor = PrintSupervisor()
        var numbered = job()
        numbered.taskId = "42"
        _ = supervisor.begin(numbered, answering: command("start"), now: 0)
        let pause = command("pause", data: .object(JSONObject([("taskid", .int(42))])))
        #expect(try supervisor.transition(for: pause) == .ask(.pausing))
    }

    @Test func minusOneNamesTheActiveJob() throws {
        let supervisor = printing()
        let current = JSONValue.object(JSONObject([("taskid", .string("-1"))]))
        #expect(try supervisor.transition(for: command("pause", data: current)) == .ask(.pausing))
        #expect(try supervisor.transition(for: command("stop", data: current)) == .ask(.stopping))
        for action in ["update", "getSliceParam", "localtasktrans"] {
            #expect(try supervisor.checkTask(of: command(action, data: current)).taskId == supervisor.job?.taskId)
        }
    }

    /// Idle, `print/update` sets temperatures and fans for no task or `-1`, as `tempature/set`
    /// and `fan/set` do; a task that is not running, the speed mode and the Z offset need a print.
    @Test func idleUpdateTakesTemperaturesAndFansOnly() throws {
        let idle = PrintSupervisor()
        let current = JSONValue.object(JSONObject([("taskid", .string("-1"))]))
        try idle.checkUpdate(command("update", data: current), PrintSettings(nozzleTarget: 200, fanPercent: 50))
        try idle.checkUpdate(command("update"), PrintSettings(bedTarget: 60))
        let named = JSONValue.object(JSONObject([("taskid", .string("614707220"))]))
        #expect(throws: CommandFailure(.conflict, "no print is active (task 614707220 is not running)")) {
            try idle.checkUpdate(command("update", data: named), PrintSettings(nozzleTarget: 200))
        }
        for settings in [PrintSettings(speedMode: 3), PrintSettings(nozzleTarget: 200, zOffset: 0.1)] {
            #expect(throws: CommandFailure(.conflict, "no print is active: print_speed_mode and z_comp change a running print only")) {
                try idle.checkUpdate(command("update", data: current), settings)
            }
        }
        try printing().checkUpdate(command("update", data: current), PrintSettings(speedMode: 3))
        #expect(throws: CommandFailure.self) { try printing().checkUpdate(command("update", data: named), PrintSettings(speedMode: 3)) }
    }

    /// anycubic-cloud-api shows the job paused as soon as `pausing` arrives and offers resume.
    @Test func resumeDuringThePauseFollowsIt() throws {
        var supervisor = printing()
        _ = supervisor.enter(.pausing, answering: command("pause"))
        #expect(try supervisor.transition(for: command("resume")) == .ask(.resuming))
        #expect(supervisor.enter(.resuming, answering: command("resume")).state == "resuming")
        // The board finishes the pause first: the job stays resuming, nothing is reported.
        #expect(supervisor.handle(.paused, now: 1_000).filter { $0.type == "print" }.isEmpty)
        #expect(supervisor.job?.phase == .resuming)
        #expect(supervisor.handle(.resumed, now: 2_000).first?.state == "resumed")
        #expect(supervisor.job?.phase == .printing)
    }

    @Test func resumeWhilePrintingIsRefused() {
        let supervisor = printing()
        #expect(throws: CommandFailure(.conflict, "cannot resume a print that is printing")) {
            try supervisor.transition(for: command("resume"))
        }
    }

    @Test func stopWhileStoppingAnswersStopping() throws {
        var supervisor = printing()
        _ = supervisor.enter(.stopping, answering: command("stop"))
        guard case .answer(let report) = try supervisor.transition(for: command("cancel")) else {
            Issue.record("a second stop should just answer")
            return
        }
        #expect(report.state == "stopping")
    }

    @Test func queryAnswersTheJobUnderTheActionOfItsPhase() throws {
        var supervisor = printing()
        let report = try #require(supervisor.query(command("query", msgid: "q")))
        #expect(report.state == "printing")
        #expect(report.action == "start")
        #expect(report.msgid == "q")
        #expect(report.data["filename"] == .string("cube.gcode"))
        _ = supervisor.enter(.paused, answering: command("pause"))
        #expect(supervisor.query(command("query"))?.action == "pause")
    }

    /// The print report has exactly the keys the clients' parsers read, none of them null.
    @Test func printReportsHaveTheFirmwaresKeys() throws {
        var numbered = job()
        numbered.directory = try StoragePath(validating: "models")
        numbered.localTask = "b92a60d8"
        let data = numbered.reportData
        #expect(data.members.map(\.key) == ["taskid", "localtask", "filename", "display_filename", "filetype", "progress",
                                            "curr_layer", "total_layers", "remain_time", "print_time", "supplies_usage"])
        #expect(data["filename"] == .string("models/cube.gcode"))
        #expect(data["display_filename"] == .string("cube.gcode"))
        #expect(data["localtask"] == .string("b92a60d8"))
        #expect(data["filetype"] == .int(1))
        #expect(!data.members.contains { $0.value == .null })
    }

    @Test func updateAnswersTheTemperaturesAndEverySetting() throws {
        var supervisor = printing()
        _ = supervisor.handle(.readings(ControllerReadings(nozzleTemperature: 199.6, nozzleTarget: 200, bedTemperature: 55,
                                                           bedTarget: 55, fanSpeedPercent: 40)), now: 0)
        let report = supervisor.updated(PrintSettings(nozzleTarget: 215, zOffset: 0.1), answering: command("update", msgid: "u"))
        #expect(report.state == "updated")
        #expect(report.msgid == "u")
        #expect(report.data["curr_nozzle_temp"] == .int(200))
        #expect(report.data["curr_hotbed_temp"] == .int(55))
        let settings = try #require(report.data["settings"]?.objectValue)
        #expect(settings.members.map(\.key) == ["target_nozzle_temp", "target_hotbed_temp", "fan_speed_pct",
                                                "print_speed_pct", "print_speed_mode"])
        #expect(settings["target_nozzle_temp"] == .int(215))
        #expect(settings["target_hotbed_temp"] == .int(55))
        #expect(settings["fan_speed_pct"] == .int(40))
        #expect(settings["print_speed_pct"] == .int(100))
        #expect(settings["print_speed_mode"] == .int(2))
        var kobra2 = PrintSupervisor(reportsZOffset: true)
        _ = kobra2.begin(job(), answering: command("start"), now: 0)
        let old = kobra2.updated(PrintSettings(zOffset: 0.1), answering: command("update"))
        #expect(old.data["settings"]?["z_comp"] == .number(0.1))
    }
}

@Suite("Print supervisor pacing")
struct PrintSupervisorPacingTests {
    @Test func progressAtMostOnceASecond() {
        var supervisor = printing()
        let first = supervisor.handle(.progress(PrintProgress(fraction: 0.10)), now: 2_100)
        #expect(first.map(\.state) == ["printing"])
        #expect(supervisor.handle(.progress(PrintProgress(fraction: 0.11)), now: 2_500).isEmpty)
        #expect(supervisor.tick(now: 2_900).isEmpty)
        let due = supervisor.tick(now: 3_100)
        #expect(due.map(\.state) == ["printing"])
        #expect(due.first?.data["progress"] == .int(11))
    }

    @Test func unchangedProgressHeartbeatEveryTenSeconds() {
        var supervisor = printing()
        #expect(supervisor.tick(now: 10_900).isEmpty)
        #expect(supervisor.tick(now: 11_000).map(\.state) == ["printing"])
        #expect(supervisor.tick(now: 20_000).isEmpty)
        #expect(supervisor.tick(now: 21_000).map(\.state) == ["printing"])
    }

    @Test func noProgressReportsWhilePaused() {
        var supervisor = printing()
        _ = supervisor.handle(.paused, now: 1_500)
        #expect(supervisor.tick(now: 60_000).isEmpty)
    }

    @Test func temperaturesOnHalfADegreeAtMostOnceASecond() {
        var supervisor = PrintSupervisor()
        let first = supervisor.handle(.readings(ControllerReadings(nozzleTemperature: 25, nozzleTarget: 0,
                                                                   bedTemperature: 25, bedTarget: 0)), now: 0)
        #expect(first.map(\.type) == ["tempature"])
        #expect(first.first?.action == "auto")
        #expect(first.first?.data["curr_nozzle_temp"] == .number(25))
        #expect(supervisor.handle(.readings(ControllerReadings(nozzleTemperature: 25.4, nozzleTarget: 0,
                                                               bedTemperature: 25, bedTarget: 0)), now: 2_000).isEmpty)
        let moved = ControllerReadings(nozzleTemperature: 25.5, nozzleTarget: 0, bedTemperature: 25, bedTarget: 0)
        #expect(supervisor.handle(.readings(moved), now: 2_100).map(\.type) == ["tempature"])
        let again = ControllerReadings(nozzleTemperature: 30, nozzleTarget: 200, bedTemperature: 25, bedTarget: 0)
        #expect(supervisor.handle(.readings(again), now: 2_600).isEmpty)
        let due = supervisor.tick(now: 3_100)
        #expect(due.map(\.type) == ["tempature"])
        #expect(due.first?.data["target_nozzle_temp"] == .number(200))
    }

    @Test func fanOnOnePercent() {
        var supervisor = PrintSupervisor()
        #expect(supervisor.handle(.readings(ControllerReadings(fanSpeedPercent: 50)), now: 0).map(\.type) == ["fan"])
        #expect(supervisor.handle(.readings(ControllerReadings(fanSpeedPercent: 50)), now: 5_000).isEmpty)
        let report = supervisor.handle(.readings(ControllerReadings(fanSpeedPercent: 51)), now: 6_000)
        #expect(report.map(\.type) == ["fan"])
        #expect(report.first?.data["fan_speed_pct"] == .int(51))
    }
}

@Suite("Print job clock and estimates")
struct PrintJobTests {
    @Test func pausedTimeDoesNotCount() {
        var printing = job()
        printing.advanceClock(to: 60_000)
        printing.phase = .paused
        printing.advanceClock(to: 600_000)
        printing.phase = .printing
        printing.advanceClock(to: 660_000)
        #expect(printing.printMinutes == 2)
    }

    @Test func remainingFromTheSlicerFirst() {
        var printing = job()
        printing.phase = .printing
        printing.advanceClock(to: 600_000)
        printing.apply(PrintProgress(fraction: 0.5, remainingMinutes: 3))
        #expect(printing.remainingMinutes == 3)
    }

    @Test func remainingFromProgressAndElapsed() {
        var printing = job()
        printing.phase = .printing
        printing.advanceClock(to: 600_000)
        printing.apply(PrintProgress(fraction: 0.25))
        #expect(printing.remainingMinutes == 30)
    }

    @Test func remainingFromTheHeaderBeforeProgress() {
        var printing = job(estimatedSeconds: 3_600)
        printing.advanceClock(to: 600_000)
        #expect(printing.remainingMinutes == 50)
        #expect(job().remainingMinutes == nil)
    }

    @Test func layersFromTheControllerKeepTheLatest() {
        var printing = job(totalLayers: nil)
        printing.apply(PrintProgress(fraction: 0.1, currentLayer: 3, totalLayers: 40))
        printing.apply(PrintProgress(fraction: 0.2))
        #expect(printing.currentLayer == 3)
        #expect(printing.totalLayers == 40)
        #expect(printing.reportData["curr_layer"] == .int(3))
        #expect(printing.projectData(speedMode: 2)["task_id"] == .string("t-1"))
    }

    @Test func progressIsClampedAndNeverHundredBeforeTheEnd() {
        var printing = job()
        printing.apply(PrintProgress(fraction: 1.5))
        #expect(printing.progress == 100)
        #expect(printing.reportData["progress"] == .int(99))
    }
}
