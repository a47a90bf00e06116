import AgentCore
import AgentJSON
import Testing

/// A supervisor driven through a print, and the feed that watches it, as the agent wires them.
private struct FeedRig {
    var supervisor = PrintSupervisor()
    var feed = HomeFeed(topics: OctoPrintTopics(base: "octoPrint/"), port: "/dev/ttyS1", baudrate: 115_200)
    var controllerReady = true
    var now: Int64 = 0

    init() { _ = feed.update(snapshot, nowMs: 0, epochSeconds: 1_700_000_000) }

    var snapshot: HomeSnapshot {
        var snapshot = HomeSnapshot()
        snapshot.controllerReady = controllerReady
        snapshot.job = supervisor.job
        snapshot.lastJob = supervisor.lastJob
        snapshot.lastFailure = supervisor.lastFailure
        snapshot.readings = supervisor.readings
        snapshot.fileSize = 2048
        snapshot.installedVersion = "1.2.3"
        return snapshot
    }

    /// Advances the clock by `ms` and returns what the feed publishes.
    mutating func step(_ ms: Int64 = 1_000) -> [Publication] {
        now += ms
        return feed.update(snapshot, nowMs: now, epochSeconds: 1_700_000_000 + now / 1000)
    }

    mutating func start() -> [Publication] {
        let job = PrintJob(taskId: "t-1", filename: "cube.gcode", directory: .root, source: .local,
                           absolutePath: "/mnt/UDISK/cube.gcode", totalLayers: 10, now: now)
        _ = supervisor.begin(job, answering: Command(type: "print", action: "start"), now: now)
        return step()
    }

    mutating func handle(_ event: ControllerEvent) -> [Publication] {
        _ = supervisor.handle(event, now: now)
        return step()
    }
}

/// The `event/<name>` payloads among `publications`, by event name.
private func events(_ publications: [Publication]) throws -> [(String, JSONObject)] {
    try publications.filter { $0.topic.hasPrefix("octoPrint/event/") }.map { publication in
        (String(publication.topic.dropFirst("octoPrint/event/".count)), try jsonObject(publication.payload))
    }
}

@Suite("Home feed: OctoPrint-MQTT events")
struct HomeFeedEventTests {
    @Test func aPrintStartsWithThePluginsFieldsAndProgressZero() throws {
        var rig = FeedRig()
        let published = rig.start()
        let started = try events(published)
        #expect(started.map(\.0) == ["PrintStarted", "PrinterStateChanged"])
        let payload = started[0].1
        #expect(payload["name"] == .string("cube.gcode"))
        #expect(payload["path"] == .string("cube.gcode"))
        #expect(payload["origin"] == .string("local"))
        #expect(payload["size"] == .int(2048))
        #expect(payload["_event"] == .string("PrintStarted"))
        #expect(payload["_timestamp"] == .int(1_700_000_001))
        #expect(started[1].1["state_id"] == .string("PRINTING"))
        let progress = try #require(published.first { $0.topic == "octoPrint/progress/printing" })
        #expect(progress.retain)
        #expect(try jsonObject(progress.payload)["progress"] == .int(0))
        #expect(published.allSatisfy { !$0.topic.hasPrefix("octoPrint/event/") || !$0.retain }, "events are not retained")
    }

    @Test func pauseResumeAndDoneFollowThePhases() throws {
        var rig = FeedRig()
        _ = rig.start()
        _ = rig.handle(.extruding)
        #expect(try events(rig.handle(.paused)).map(\.0) == ["PrintPaused", "PrinterStateChanged"])
        #expect(try events(rig.handle(.resumed)).map(\.0) == ["PrintResumed", "PrinterStateChanged"])
        _ = rig.handle(.progress(PrintProgress(fraction: 0.5, currentLayer: 5)))
        let done = rig.handle(.finished)
        let ended = try events(done)
        #expect(ended.map(\.0) == ["PrintDone", "PrinterStateChanged"])
        #expect(ended[0].1["time"]?.doubleValue ?? 0 > 0, "PrintDone has the print's time in seconds")
        #expect(ended[1].1["state_id"] == .string("OPERATIONAL"))
        let progress = try #require(done.first { $0.topic == "octoPrint/progress/printing" })
        #expect(try jsonObject(progress.payload)["progress"] == .int(100))
    }

    @Test func aStopIsCancelledThenFailedWithReasonCancelled() throws {
        var rig = FeedRig()
        _ = rig.start()
        let ended = try events(rig.handle(.stopped))
        #expect(ended.map(\.0) == ["PrintCancelled", "PrintFailed", "PrinterStateChanged"])
        #expect(ended[1].1["reason"] == .string("cancelled"))
        #expect(ended[0].1["reason"] == nil)
    }

    @Test func aFailureIsAnErrorThenFailedWithReasonError() throws {
        var rig = FeedRig()
        _ = rig.start()
        let ended = try events(rig.handle(.failed("thermal runaway")))
        #expect(ended.map(\.0) == ["Error", "PrintFailed", "PrinterStateChanged"])
        #expect(ended[0].1["error"] == .string("thermal runaway"))
        #expect(ended[1].1["reason"] == .string("error"))
    }

    @Test func eachNewHeightIsARetainedZChangeWithTheOldOne() throws {
        var rig = FeedRig()
        _ = rig.start()
        let first = try #require(rig.handle(.progress(PrintProgress(fraction: 0.1, z: 0.2))).first { $0.topic == "octoPrint/event/ZChange" })
        #expect(first.retain)
        #expect(try jsonObject(first.payload)["new"] == .number(0.2) && jsonObject(first.payload)["old"] == .null)
        let second = try events(rig.handle(.progress(PrintProgress(fraction: 0.2, z: 0.4))))
        #expect(second.first?.0 == "ZChange" && second.first?.1["old"] == .number(0.2))
        #expect(try events(rig.handle(.progress(PrintProgress(fraction: 0.3, z: 0.4)))).isEmpty, "the same height is no change")
    }

    @Test func aHeightReachedInTheTurnThePrintEndsComesBeforePrintDone() throws {
        var rig = FeedRig()
        _ = rig.start()
        _ = rig.handle(.progress(PrintProgress(fraction: 0.5, z: 5)))
        _ = rig.supervisor.handle(.progress(PrintProgress(fraction: 1, z: 10)), now: rig.now)
        let ended = try events(rig.handle(.finished))
        #expect(ended.map(\.0) == ["ZChange", "PrintDone", "PrinterStateChanged"])
        #expect(ended.first?.1["new"] == .number(10) && ended.first?.1["old"] == .number(5))
    }

    @Test func theControllerConnectingAndGoingAreEvents() throws {
        var rig = FeedRig()
        rig.controllerReady = false
        #expect(try events(rig.step()).map(\.0) == ["Disconnected", "PrinterStateChanged"])
        rig.controllerReady = true
        let connected = try events(rig.step())
        #expect(connected.map(\.0) == ["Connected", "PrinterStateChanged"])
        #expect(connected[0].1["port"] == .string("/dev/ttyS1") && connected[0].1["baudrate"] == .int(115_200))
    }

    @Test func nothingChangedPublishesNothing() {
        var rig = FeedRig()
        _ = rig.step()
        #expect(rig.step().isEmpty)
    }

    @Test func anUploadIsUploadThenFileAdded() throws {
        let feed = FeedRig().feed
        let published = try events(feed.uploaded("models/cube.gcode", epochSeconds: 5))
        #expect(published.map(\.0) == ["Upload", "FileAdded"])
        #expect(published[0].1["target"] == .string("local") && published[0].1["name"] == .string("cube.gcode"))
        #expect(published[1].1["storage"] == .string("local") && published[1].1["path"] == .string("models/cube.gcode"))
        #expect(published[1].1["type"] == .array([.string("machinecode"), .string("gcode")]))
    }
}

@Suite("Home feed: temperatures and state")
struct HomeFeedTemperatureTests {
    private func readings(_ nozzle: Double, target: Double = 200) -> ControllerEvent {
        .readings(ControllerReadings(nozzleTemperature: nozzle, nozzleTarget: target, bedTemperature: 60, bedTarget: 60))
    }

    private func temperatures(_ publications: [Publication]) -> [String] {
        publications.filter { $0.topic.hasPrefix("octoPrint/temperature/") }.map { String($0.topic.dropFirst(22)) }
    }

    @Test func aTenthOfADegreeIsPublishedRetainedAtMostOnceASecond() throws {
        var rig = FeedRig()
        let first = rig.handle(readings(190))
        #expect(temperatures(first) == ["tool0", "bed"])
        let tool = try #require(first.first { $0.topic == "octoPrint/temperature/tool0" })
        #expect(tool.retain)
        #expect(try jsonObject(tool.payload)["actual"] == .number(190) && jsonObject(tool.payload)["target"] == .number(200))
        _ = rig.supervisor.handle(readings(190.2), now: rig.now)
        #expect(temperatures(rig.step(500)) == [], "within a second of the last")
        #expect(temperatures(rig.step(500)) == ["tool0"], "a second later, only the heater that moved")
        _ = rig.supervisor.handle(readings(190.25), now: rig.now)
        #expect(temperatures(rig.step()) == [], "0.05 degrees is below the step")
    }

    @Test func theStateDocumentFollowsThePrint() throws {
        var rig = FeedRig()
        _ = rig.start()
        _ = rig.handle(.extruding)
        let published = rig.handle(.progress(PrintProgress(fraction: 0.25, currentLayer: 3, remainingMinutes: 30)))
        let state = try #require(published.last { $0.topic == "octoPrint/hass/state" })
        #expect(state.retain)
        let document = try jsonObject(state.payload)
        #expect(document["state"] == .string("printing") && document["printing"] == .string("ON"))
        #expect(document["progress"] == .int(25) && document["layer"] == .int(3) && document["time_left"] == .int(1800))
        #expect(document["completion"] == .string(CivilTime.iso8601(epochSeconds: (1_700_000_000 + rig.now / 1000) / 60 * 60 + 1800)))
        _ = rig.supervisor.handle(.paused, now: rig.now)
        let paused = try jsonObject(try #require(rig.step().last { $0.topic == "octoPrint/hass/state" }).payload)
        #expect(paused["paused"] == .string("ON") && paused["state"] == .string("paused"))
    }

    @Test func theFirmwareDocumentFollowsTheUpdate() throws {
        var feed = HomeFeed(topics: OctoPrintTopics(base: "octoPrint/"), port: "/dev/ttyS1", baudrate: nil)
        var snapshot = HomeSnapshot()
        snapshot.installedVersion = "1.2.3"
        snapshot.update = (version: "1.3.0", percent: 40)
        let document = try jsonObject(try #require(feed.update(snapshot, nowMs: 0, epochSeconds: 0)
            .first { $0.topic == "octoPrint/hass/update" }).payload)
        #expect(document["installed_version"] == .string("1.2.3") && document["latest_version"] == .string("1.3.0"))
        #expect(document["in_progress"] == .bool(true) && document["update_percentage"] == .int(40))
        snapshot.update = nil
        let done = try jsonObject(try #require(feed.update(snapshot, nowMs: 1, epochSeconds: 0)
            .first { $0.topic == "octoPrint/hass/update" }).payload)
        #expect(done["in_progress"] == .bool(false) && done["latest_version"] == .string("1.2.3") && done["update_percentage"] == nil)
        snapshot.availableVersion = "1.4.0"
        let offered = try jsonObject(try #require(feed.update(snapshot, nowMs: 2, epochSeconds: 0)
            .first { $0.topic == "octoPrint/hass/update" }).payload)
        #expect(offered["latest_version"] == .string("1.4.0") && offered["in_progress"] == .bool(false),
                "an update available to install is the latest version")
    }

    @Test func announcementsRepeatTheRetainedState() throws {
        var rig = FeedRig()
        _ = rig.handle(readings(25, target: 0))
        let topics = rig.feed.announcements(nowMs: rig.now, epochSeconds: 1).map(\.topic)
        #expect(topics == ["octoPrint/mqtt", "octoPrint/progress/printing", "octoPrint/temperature/tool0",
                           "octoPrint/temperature/bed", "octoPrint/hass/state", "octoPrint/hass/update"])
    }
}

@Suite("Civil time")
struct CivilTimeTests {
    @Test func formatsUTC() {
        #expect(CivilTime.iso8601(epochSeconds: 0) == "1970-01-01T00:00:00+00:00")
        #expect(CivilTime.iso8601(epochSeconds: 951_782_400) == "2000-02-29T00:00:00+00:00")
        #expect(CivilTime.iso8601(epochSeconds: 1_796_654_245) == "2026-12-07T14:37:25+00:00")
    }
}
