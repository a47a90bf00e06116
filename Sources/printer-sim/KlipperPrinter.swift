import Glibc

/// Klipper's printer as its API server sees it: one G-code queue fed by client scripts
/// and by the file being printed (scripts go first, one command at a time, as Klipper's
/// G-code mutex has it), the print job, the webhooks state and the status objects
/// (KlipperStatus.swift).
final class KlipperPrinter {
    /// `print_stats.state`.
    enum PrintState: String {
        case standby, printing, paused, complete, cancelled, error
    }

    /// Whose command is running.
    private enum Source {
        case script(ScriptRun)
        case print
    }

    /// A `gcode/script` request: its lines and the reply to send when it is done.
    private final class ScriptRun {
        private let lines: [String]
        private var next = 0
        /// Called once with nil (success) or Klipper's error message.
        let completion: (String?) -> Void

        /// The lines of `script` (newline-separated), answered through `completion`.
        init(_ script: String, completion: @escaping (String?) -> Void) {
            lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            self.completion = completion
        }

        /// The next line, nil when all ran.
        func nextLine() -> String? {
            guard next < lines.count else { return nil }
            next += 1
            return lines[next - 1]
        }
    }

    /// Commands run per turn of the event loop before sockets get their turn again.
    private static let commandsPerTurn = 500

    let machine: Machine
    private let loop: EventLoop
    private let runner: WorkRunner
    private let sdcard: String
    /// `webhooks.state`: ready or shutdown.
    private(set) var webhooksState = "ready"
    /// `webhooks.state_message`.
    private(set) var webhooksMessage = "Printer is ready"
    /// `print_stats.state`.
    private(set) var printState = PrintState.standby
    /// `print_stats.message`.
    private(set) var printMessage = ""
    /// The current or last print.
    private(set) var job: PrintJob?
    /// `print_stats.info.total_layer`.
    private(set) var totalLayer: Int?
    /// `print_stats.info.current_layer`.
    private(set) var currentLayer: Int?
    private var scripts: [ScriptRun] = []
    private var running: Source?
    private var pauseWaiters: [(String?) -> Void] = []
    private var pumping = false
    private var pumpScheduled = false
    private var movesExecuted = 0
    /// Called with the count of G0/G1 moves executed so far, before each one runs.
    var onMove: (Int) -> Void = { _ in }
    /// Called with each line of G-code output (`M114`'s position, an unknown command).
    var onOutput: (String) -> Void = { _ in }
    /// The values of the simulated printer.cfg's `[output_pin caselight]` (0...1),
    /// `[led chamber_led]` (red, green, blue, white, each 0...1) and `[fan_generic aux_fan]` (0...1).
    private(set) var caselight = 0.0
    private(set) var chamberLed = [0.0, 0.0, 0.0, 0.0]
    private(set) var auxFan = 0.0

    /// A printer at rest with its SD card at `sdcard`.
    init(options: KlipperOptions, loop: EventLoop) {
        self.loop = loop
        sdcard = options.sdcard
        let thermals = Thermals(rate: options.common.heatRate) { [loop] in loop.now }
        machine = Machine(firmware: .klipper, speed: options.common.speed, thermals: thermals)
        runner = WorkRunner(loop: loop, thermals: thermals)
    }

    /// Whether the printer takes commands (not shut down).
    var isReady: Bool { webhooksState == "ready" }

    /// Runs the lines of `script` after the scripts before it; `completion` gets nil when
    /// all ran, or the first error (the rest is not run).
    func runScript(_ script: String, completion: @escaping (String?) -> Void) {
        scripts.append(ScriptRun(script, completion: completion))
        pump()
    }

    /// `pause_resume/pause`: pauses after the print's current command; `completion` gets
    /// nil once paused (at once when already paused), or an error.
    func pause(completion: @escaping (String?) -> Void) {
        guard isReady else { return completion(webhooksMessage) }
        do {
            try beginPause(waiter: completion)
        } catch {
            completion((error as? GcodeError)?.message ?? "\(error)")
        }
    }

    /// `pause_resume/resume`: nil, or an error message.
    func resume() -> String? {
        guard isReady else { return webhooksMessage }
        return errorMessage(of: resumePrint)
    }

    /// `pause_resume/cancel`: nil, or an error message.
    func cancel() -> String? {
        guard isReady else { return webhooksMessage }
        return errorMessage(of: cancelPrint)
    }

    /// The end Klippy's `error_mcu` adds to every shutdown message: what clears it.
    static let shutdownAdvice = """

        Once the underlying issue is corrected, use the
        "FIRMWARE_RESTART" command to reset the firmware, reload the
        config, and restart the host software.
        Printer is shutdown

        """

    /// Shuts down like Klippy on an MCU error or an emergency stop: webhooks `shutdown` with
    /// `cause` and Klippy's advice as its message; the print's reading stops and, as Klippy's
    /// virtual_sdcard leaves it, `print_stats` says `paused` (the fault shows only in
    /// `webhooks`); heaters off; every pending script fails. G-code is refused until
    /// FIRMWARE_RESTART.
    func shutdown(_ cause: String) {
        guard isReady else { return }
        let message = cause + Self.shutdownAdvice
        webhooksState = "shutdown"
        webhooksMessage = message
        runner.cancel()
        // The script that shut it down (M112) goes on: its next line is refused, or it succeeds.
        var current: ScriptRun?
        if case .script(let script)? = running { current = script }
        running = nil
        machine.thermals.turnOff()
        let failed = scripts.filter { $0 !== current }
        scripts = scripts.filter { $0 === current }
        failed.forEach { $0.completion(message) }
        answerPauseWaiters(message)
        if printState == .printing { enterPaused() }
    }

    /// Called when Klippy restarts its host software (FIRMWARE_RESTART, RESTART): Klippy
    /// closes every API connection then.
    var onRestart: () -> Void = {}

    /// FIRMWARE_RESTART / RESTART: ready again, print state back to standby, the API's
    /// connections closed.
    func restart() {
        onRestart()
        webhooksState = "ready"
        webhooksMessage = "Printer is ready"
        printState = .standby
        printMessage = ""
        job = nil
        totalLayer = nil
        currentLayer = nil
        machine.restart()
    }

    /// Runs queued commands until one takes time (its end pumps again), giving the event
    /// loop a turn after every `commandsPerTurn` commands.
    private func pump() {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        for _ in 0..<Self.commandsPerTurn {
            guard running == nil && !runner.isBusy else { return }
            if let script = scripts.first {
                if let line = script.nextLine() {
                    run(line, from: .script(script))
                } else {
                    scripts.removeFirst()
                    script.completion(nil)
                }
            } else if printState == .printing, let job {
                if let line = job.reader.nextLine() {
                    run(line, from: .print)
                } else {
                    endPrint(.complete)
                }
            } else {
                return
            }
        }
        guard !pumpScheduled else { return }
        pumpScheduled = true
        loop.after(0) { [unowned self] in
            pumpScheduled = false
            pump()
        }
    }

    /// Runs one line; its end (now or after its work) pumps the next.
    private func run(_ line: String, from source: Source) {
        running = source
        do {
            let work = try execute(line, from: source)
            runner.run(work) { [unowned self] in commandDone(from: source) }
        } catch {
            running = nil
            let message = (error as? GcodeError)?.message ?? "\(error)"
            switch source {
            case .script(let script):
                scripts.removeAll { $0 === script }
                script.completion(message)
            case .print:
                endPrint(.error)
                printMessage = message
            }
        }
    }

    /// After a command: a pause asked for during a print command takes effect.
    private func commandDone(from source: Source) {
        running = nil
        if case .print = source, printState == .printing, job?.pauseRequested == true { enterPaused() }
        pump()
    }

    /// Executes one G-code line and returns the time it takes.
    private func execute(_ line: String, from source: Source) throws -> Work {
        guard let command = GcodeCommand(line) else { return .none }
        // The commands Klippy runs while it is shut down; any other is refused with its state message.
        let runWhenShutDown = ["FIRMWARE_RESTART", "RESTART", "M112"]
        guard isReady || runWhenShutDown.contains(command.name) else { throw GcodeError(webhooksMessage) }
        switch command.name {
        case "SDCARD_PRINT_FILE": try startPrint(command)
        case "SET_PRINT_STATS_INFO": try setPrintStatsInfo(command)
        case "PAUSE": try beginPause(waiter: nil)
        case "RESUME": try resumePrint()
        case "CANCEL_PRINT": try cancelPrint()
        case "TURN_OFF_HEATERS": machine.thermals.turnOff()
        case "SET_HEATER_TEMPERATURE": try setHeaterTemperature(command)
        case "M112": shutdown("Shutdown due to M112 command")
        case "M114": onOutput(machine.klipperPosition)
        case "SET_PIN": caselight = try setting(command, object: "PIN", named: "caselight", value: "VALUE")
        case "SET_FAN_SPEED": auxFan = try setting(command, object: "FAN", named: "aux_fan", value: "SPEED")
        case "SET_LED":
            let colours = ["RED", "GREEN", "BLUE", "WHITE"]
            chamberLed = try colours.map { try setting(command, object: "LED", named: "chamber_led", value: $0) }
        case "M105", "M115", "M204", "SET_VELOCITY_LIMIT", "SET_GCODE_OFFSET", "SAVE_GCODE_STATE",
             "RESTORE_GCODE_STATE", "RESPOND", "STATUS":
            break
        case "FIRMWARE_RESTART", "RESTART": restart()
        default:
            if command.isLinearMove {
                movesExecuted += 1
                onMove(movesExecuted)
                guard isReady else { return .none }
            }
            guard let work = machine.apply(command) else {
                // Klipper only reports an unknown command in its G-code output (cmd_default's
                // respond_info): a print goes on past slicer commands it lacks (M201, M900...)
                // and a script still succeeds.
                onOutput("// Unknown command:\"\(command.name)\"")
                return .none
            }
            if printState == .printing { job?.noteExtrusion(machine.extruded, now: loop.now) }
            return work
        }
        return .none
    }

    /// SDCARD_PRINT_FILE FILENAME=<name>: a name relative to the SD card, or an absolute
    /// path of an existing file (a USB stick).
    private func startPrint(_ command: GcodeCommand) throws {
        let parameters = try ExtendedParameters.parse(command)
        guard let name = parameters["FILENAME"], !name.isEmpty else {
            throw GcodeError("Error on '\(command.text)': missing FILENAME")
        }
        if printState == .printing || printState == .paused { throw GcodeError("SD busy") }
        let reader: GcodeFileReader
        let filename: String
        if name.hasPrefix("/"), let absolute = try? GcodeFileReader(path: name) {
            reader = absolute
            filename = name
        } else {
            filename = String(name.drop { $0 == "/" })
            guard let relative = try? GcodeFileReader(path: sdcard + "/" + filename) else {
                throw GcodeError("Unable to open file")
            }
            reader = relative
        }
        let path = filename.hasPrefix("/") ? filename : sdcard + "/" + filename
        job = PrintJob(filename: filename, path: path, reader: reader, now: loop.now, extruded: machine.extruded)
        printState = .printing
        printMessage = ""
        totalLayer = nil
        currentLayer = nil
    }

    /// SET_PRINT_STATS_INFO TOTAL_LAYER=<n> CURRENT_LAYER=<n>, with Klipper's rules: a new
    /// total restarts the current layer at 0, a total of 0 clears both, the current layer
    /// is capped at the total and needs one.
    /// The value parameter `value` (0...1, 0 when absent) of a command muxed on `object`,
    /// which must be `name` (the only one the simulated printer.cfg has), as Klipper checks them.
    private func setting(_ command: GcodeCommand, object: String, named name: String, value: String) throws -> Double {
        let parameters = try ExtendedParameters.parse(command)
        guard parameters[object] == name else {
            throw GcodeError("The value '\(parameters[object] ?? "")' is not valid for \(object)")
        }
        guard let number = Double(parameters[value] ?? "0"), (0...1).contains(number) else {
            throw GcodeError("Error on '\(command.text)': \(value) must be between 0 and 1")
        }
        return number
    }

    /// SET_HEATER_TEMPERATURE HEATER=extruder|heater_bed TARGET=<°C>.
    private func setHeaterTemperature(_ command: GcodeCommand) throws {
        let parameters = try ExtendedParameters.parse(command)
        let heaters: [String: HeaterID] = ["extruder": .hotend, "heater_bed": .bed]
        guard let name = parameters["HEATER"], let heater = heaters[name] else {
            throw GcodeError("Error on '\(command.text)': unknown heater")
        }
        guard let target = Double(parameters["TARGET"] ?? "0"), target >= 0 else {
            throw GcodeError("Error on '\(command.text)': unable to parse TARGET")
        }
        machine.thermals.setTarget(target, for: heater)
    }

    private func setPrintStatsInfo(_ command: GcodeCommand) throws {
        let parameters = try ExtendedParameters.parse(command)
        func layer(_ name: String) throws -> Int? {
            guard let text = parameters[name] else { return nil }
            guard let value = Int(text) else { throw GcodeError("Error on '\(command.text)': unable to parse \(text)") }
            guard value >= 0 else { throw GcodeError("Error on '\(command.text)': \(name) must have minimum of 0") }
            return value
        }
        let total = try layer("TOTAL_LAYER") ?? totalLayer
        let current = try layer("CURRENT_LAYER") ?? currentLayer
        if total == 0 {
            totalLayer = nil
            currentLayer = nil
        } else if total != totalLayer {
            totalLayer = total
            currentLayer = 0
        }
        if let totalLayer, let current, current != currentLayer {
            currentLayer = min(current, totalLayer)
        }
    }

    /// Pauses now, or after the print's running command; `waiter` is answered once paused.
    private func beginPause(waiter: ((String?) -> Void)?) throws {
        switch printState {
        case .paused:
            waiter?(nil)
        case .printing:
            if case .print = running {
                job?.pauseRequested = true
                if let waiter { pauseWaiters.append(waiter) }
            } else {
                enterPaused()
                waiter?(nil)
            }
        default:
            throw GcodeError("Print is not active")
        }
    }

    /// Pauses: the print stops reading lines, `print_duration` stops, waiters are answered.
    private func enterPaused() {
        printState = .paused
        job?.pauseRequested = false
        job?.stopCounting(now: loop.now)
        answerPauseWaiters(nil)
    }

    /// Resumes a paused print (a no-op while printing; a pause not yet in effect is dropped).
    private func resumePrint() throws {
        switch printState {
        case .paused:
            printState = .printing
            job?.resumeCounting(now: loop.now)
            pump()
        case .printing:
            job?.pauseRequested = false
            answerPauseWaiters(nil)
        default:
            throw GcodeError("Print is not active")
        }
    }

    /// Cancels the print at once (its running command is abandoned) and turns the heaters off.
    private func cancelPrint() throws {
        guard printState == .printing || printState == .paused else { throw GcodeError("Print is not active") }
        if case .print = running {
            runner.cancel()
            running = nil
        }
        endPrint(.cancelled)
        machine.thermals.turnOff()
        answerPauseWaiters(nil)
        pump()
    }

    /// Ends the print: complete, cancelled or error.
    private func endPrint(_ ending: PrintJob.Ending) {
        job?.end(ending, now: loop.now, extruded: machine.extruded)
        switch ending {
        case .complete: printState = .complete
        case .cancelled: printState = .cancelled
        case .error: printState = .error
        }
    }

    /// Answers every pending `pause_resume/pause` with `message` (nil: paused).
    private func answerPauseWaiters(_ message: String?) {
        let waiters = pauseWaiters
        pauseWaiters = []
        waiters.forEach { $0(message) }
    }

    /// The message of the error `action` throws, nil when it succeeds.
    private func errorMessage(of action: () throws -> Void) -> String? {
        do {
            try action()
            return nil
        } catch {
            return (error as? GcodeError)?.message ?? "\(error)"
        }
    }
}
