import AgentCore
import AgentJSON
import Testing

/// A follower fed Klipper's status deltas, with the events it told.
private struct Follow {
    var follower = KlipperPrintFollower()
    var status = KlipperStatus()
    var events: [ControllerEvent] = []

    /// Applies the status delta `text` (a JSON object) and follows it.
    mutating func apply(_ text: String) throws {
        status.apply(try jsonObject(text))
        events += follower.follow(status)
    }

    /// `print_stats.state` becomes `state`.
    mutating func state(_ state: String) throws { try apply(#"{"print_stats": {"state": "\#(state)"}}"#) }

    /// The events other than readings and progress.
    var lifecycle: [ControllerEvent] {
        events.filter {
            switch $0 {
            case .readings, .progress: return false
            default: return true
            }
        }
    }
}

/// How the agent follows a print that Klipper runs.
@Suite struct KlipperPrintFollowerTests {
    @Test func statesBeforeThePrintIsSeenRunningAreStale() throws {
        var follow = Follow()
        try follow.state("complete")
        follow.follower.started()
        try follow.state("complete")
        #expect(follow.lifecycle.isEmpty, "the previous print's state")
        try follow.apply(#"{"print_stats": {"state": "printing", "filament_used": 0}}"#)
        try follow.apply(#"{"print_stats": {"filament_used": 1.5}}"#)
        try follow.state("complete")
        #expect(follow.lifecycle == [.extruding, .finished])
        #expect(!follow.follower.isFollowing)
    }

    /// A print that fails (or ends) between two status updates is never seen printing: the
    /// state moving from the stale one to an end is this job's end. Passing through
    /// `standby` (Klipper resets the stats as it loads the file) is not.
    @Test func aPrintThatEndsBetweenTwoUpdatesEndsTheJob() throws {
        var follow = Follow()
        try follow.state("standby")
        follow.follower.started()
        try follow.state("standby")
        #expect(follow.lifecycle.isEmpty)
        try follow.apply(#"{"print_stats": {"state": "error", "message": "Move out of range"}}"#)
        #expect(follow.lifecycle == [.failed("the controller stopped the print: Move out of range")])

        var quick = Follow()
        try quick.state("complete")
        quick.follower.started()
        try quick.state("standby")
        try quick.state("cancelled")
        #expect(quick.lifecycle == [.stopped])
    }

    /// A Klipper that shut down (webhooks `shutdown`) ends the job, seen running or not.
    @Test func aShutDownControllerFailsTheJob() throws {
        var follow = Follow()
        try follow.state("standby")
        follow.follower.started()
        try follow.apply(#"{"webhooks": {"state": "shutdown", "state_message": "MCU 'mcu' shutdown: Timer too close"}}"#)
        #expect(follow.lifecycle == [.failed("Klipper shut down: MCU 'mcu' shutdown: Timer too close (FIRMWARE_RESTART clears it)")])
        #expect(!follow.follower.isFollowing)
    }

    /// Klippy shut down mid-print leaves `print_stats` at `paused` (virtual_sdcard's work
    /// loop stops and notes a pause): the print fails with Klippy's message, no pause is told,
    /// and the paused print is not adopted again, now or after the agent restarts.
    @Test(arguments: ["shutdown", "error"])
    func klippyDownMidPrintFailsAtOnceAndIsNotAdopted(state: String) throws {
        var follow = Follow()
        try follow.apply(#"{"webhooks": {"state": "ready"}, "print_stats": {"state": "standby"}}"#)
        follow.follower.started()
        try follow.apply(#"{"print_stats": {"state": "printing", "filename": "cube.gcode", "filament_used": 2}}"#)
        try follow.apply(#"{"webhooks": {"state": "\#(state)", "state_message": "Lost communication with MCU 'mcu'\nOnce the underlying issue is corrected, use the\n\"FIRMWARE_RESTART\" command"}, "print_stats": {"state": "paused"}}"#)
        let word = state == "shutdown" ? "Klipper shut down: " : "Klipper stopped on an error: "
        let failure = ControllerEvent.failed(word + "Lost communication with MCU 'mcu'. Once the underlying issue is corrected, use the \"FIRMWARE_RESTART\" command")
        #expect(follow.lifecycle == [.extruding, failure])
        try follow.apply(#"{"print_stats": {"print_duration": 12}}"#)
        #expect(follow.lifecycle == [.extruding, failure], "nothing more, and the paused print is not adopted")

        var restarted = Follow()
        try restarted.apply(#"{"webhooks": {"state": "shutdown", "state_message": "x"}, "print_stats": {"state": "paused", "filename": "cube.gcode"}}"#)
        #expect(restarted.lifecycle.isEmpty)
        #expect(!restarted.follower.isFollowing)
        // FIRMWARE_RESTART: a new Klippy, ready, its print_stats at standby; a new print runs.
        try restarted.apply(#"{"webhooks": {"state": "ready", "state_message": "Printer is ready"}, "print_stats": {"state": "standby", "filename": ""}}"#)
        restarted.follower.started()
        for state in ["printing", "complete"] { try restarted.state(state) }
        #expect(restarted.lifecycle == [.finished])
    }

    @Test func pauseResumeAndCancel() throws {
        var follow = Follow()
        follow.follower.started()
        for state in ["printing", "paused", "paused", "printing", "cancelled"] { try follow.state(state) }
        #expect(follow.lifecycle == [.paused, .resumed, .stopped])
    }

    /// A resume asked during the pause: Klipper runs PAUSE then RESUME, and its status,
    /// sent every 250 ms, may never show the job paused. The resume Klipper took says it.
    @Test func aResumeTakenBeforeThePauseShowedResumesTheJob() throws {
        var follow = Follow()
        follow.follower.started()
        try follow.state("printing")
        follow.events += follow.follower.resumeTaken()
        #expect(follow.lifecycle == [.resumed])
        // The pause, shown late, and the printing after it say nothing more.
        try follow.state("paused")
        try follow.state("printing")
        #expect(follow.lifecycle == [.resumed])
        // A later pause is a pause.
        try follow.state("paused")
        #expect(follow.lifecycle == [.resumed, .paused])
    }

    @Test func aResumeTakenAfterTheStatusShowedThePauseWaitsForPrinting() throws {
        var follow = Follow()
        follow.follower.started()
        try follow.state("printing")
        try follow.state("paused")
        follow.events += follow.follower.resumeTaken()
        #expect(follow.lifecycle == [.paused], "the status says when it prints again")
        try follow.state("printing")
        #expect(follow.lifecycle == [.paused, .resumed])
    }

    @Test(arguments: [
        ("error", "the controller stopped the print: Move out of range"),
        ("standby", "the controller dropped the print (it restarted)"),
    ])
    func errorsFailThePrint(state: String, reason: String) throws {
        var follow = Follow()
        follow.follower.started()
        try follow.state("printing")
        try follow.apply(#"{"print_stats": {"state": "\#(state)", "message": "Move out of range"}}"#)
        #expect(follow.lifecycle == [.failed(reason)])
    }

    @Test func aRunningPrintIsAdopted() throws {
        var follow = Follow()
        try follow.apply(#"{"print_stats": {"state": "paused", "filename": "cube.gcode", "filament_used": 3}}"#)
        #expect(follow.lifecycle == [.running(file: "cube.gcode", paused: true)])
        try follow.state("printing")
        #expect(follow.lifecycle == [.running(file: "cube.gcode", paused: true), .resumed], "it had extruded already")
    }

    @Test func progressAndReadingsAreToldWhenTheyChange() throws {
        var follow = Follow()
        follow.follower.started()
        try follow.apply(#"{"print_stats": {"state": "printing", "info": {"total_layer": 10, "current_layer": 2}}, "virtual_sdcard": {"progress": 0.25}}"#)
        try follow.apply(#"{"extruder": {"temperature": 200, "target": 210}}"#)
        try follow.apply(#"{"virtual_sdcard": {"progress": 0.25}}"#)
        let progress = follow.events.compactMap { if case .progress(let value) = $0 { return value } else { return nil } }
        #expect(progress == [PrintProgress(fraction: 0.25, currentLayer: 2, totalLayers: 10)])
        let readings = follow.events.filter { if case .readings = $0 { return true } else { return false } }
        #expect(readings == [.readings(ControllerReadings(nozzleTemperature: 200, nozzleTarget: 210))])
    }

    @Test func aRefusedPrintFails() {
        var follower = KlipperPrintFollower()
        #expect(follower.refused("no such file").isEmpty)
        follower.started()
        #expect(follower.refused("no such file") == [.failed("the controller refused the print: no such file")])
        #expect(!follower.isFollowing)
    }

    @Test func aSilentControllerFailsThePrintAfterTwentySeconds() {
        var follower = KlipperPrintFollower()
        #expect(follower.silence(60_000).isEmpty, "no print to fail")
        follower.started()
        #expect(follower.silence(19_999).isEmpty)
        #expect(follower.silence(21_500) == [.failed("the controller stopped answering (nothing for 21 s)")])
        #expect(follower.silence(30_000).isEmpty)
    }
}
