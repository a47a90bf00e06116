import AgentCore
import AgentJSON
import AgentPlatform

/// The controls a client drives whether or not a print runs: `tempature/set`, `fan/set` and
/// `fan/setSpeed`, `axis/move`, `axis/turnOff`, `axis/query`, `light/control`, `light/query`
/// and the G-code console `gcode/send`. Each is checked (AgentCore/Controls), turned into
/// G-code and handed to the backend; what waits for the controller is answered `doing` at
/// once and then `done` or `failed`, pushed with the command's msgid.
final class ControlService {
    private let backend: (any PrinterBackend)?
    private let controls: ControlConfig
    private let controller: ControllerKind
    /// What each `axis` number names on this printer.
    private let axisMap: AxisMap
    private let outbox: Outbox
    private let logger: Logger
    /// Whether a print task is active (moves and the console are refused then).
    private let isPrinting: () -> Bool
    /// The controller's latest readings.
    private let readings: () -> ControllerReadings
    /// Each light as the agent last set it.
    private var lights: [LightState] = []
    /// While a command is answered: the outcome of a backend call that came at once, which
    /// is then the answer itself rather than a push after `doing`.
    private var immediate: Report?
    /// Whether a command is being answered now (see `immediate`).
    private var answering = false

    /// Creates the service for `backend` (nil when no controller is configured) and the
    /// controls of `config` on model `modelId`; its pushed answers go to `outbox`.
    init(backend: (any PrinterBackend)?, config: AgentConfig, modelId: String, outbox: Outbox, logger: Logger,
         isPrinting: @escaping () -> Bool, readings: @escaping () -> ControllerReadings) {
        self.backend = backend
        controls = config.controls
        axisMap = config.controls.axisMap(forModel: modelId)
        controller = config.controller
        self.outbox = outbox
        self.logger = logger
        self.isPrinting = isPrinting
        self.readings = readings
    }

    /// Registers the handlers. The router keeps this object alive.
    func register(in router: CommandRouter) {
        router.register("tempature", "set") { .answering($0, self.setTemperatures) }
        for action in ["set", "setSpeed"] {
            router.register("fan", action) { .answering($0, self.setFans) }
        }
        router.register("axis", "move") { .answering($0, self.move) }
        router.register("axis", "turnOff") { .answering($0, self.turnOff) }
        router.register("axis", "query") { .answering($0, self.queryPosition) }
        router.register("light", "control") { .answering($0, self.controlLight) }
        router.register("light", "query") {
            .success($0, data: LightControl.queryData(config: self.controls, states: self.light))
        }
        router.register("gcode", "send") { .answering($0, self.console) }
    }

    // MARK: Commands

    /// `tempature/set`: the targets go to the controller; the answer shows them with the
    /// temperatures last read, as a `tempature` report under action `query`: the clients'
    /// parsers know a temperature report only as `query` or `auto` (anycubic-cloud-api
    /// rejects any other), and a client waiting for the answer finds it by its msgid.
    private func setTemperatures(_ command: Command) throws(CommandFailure) -> Report {
        let targets = try PrintSettings.temperatures(command.data)
        if let failure = try connected().apply(targets) { throw failure }
        var shown = readings()
        if let nozzle = targets.nozzleTarget { shown.nozzleTarget = nozzle }
        if let bed = targets.bedTarget { shown.bedTarget = bed }
        logger.log(.info, "temperature targets set")
        return PrintSupervisor.temperatureReport(shown, action: "query", msgid: command.msgid)
    }

    /// `fan/set`, `fan/setSpeed`: the part-cooling fan and the auxiliary fan, where configured;
    /// answered with the `fan` report under action `query`, for the reason `setTemperatures` gives.
    private func setFans(_ command: Command) throws(CommandFailure) -> Report {
        let fans = try PrintSettings.fans(command.data, hasAuxFan: controls.hasAuxFan(controller))
        guard fans != PrintSettings() else {
            throw CommandFailure(.badRequest, "fan/" + command.action + " needs fan_speed_pct, aux_fan_speed_pct or box_fan_level")
        }
        if let failure = try connected().apply(fans) { throw failure }
        var shown = readings()
        if let fan = fans.fanPercent { shown.fanSpeedPercent = fan }
        if let aux = fans.auxFanPercent { shown.auxFanSpeedPercent = aux }
        return PrintSupervisor.fanReport(shown, action: "query", msgid: command.msgid)
    }

    /// `axis/move`: homes or jogs, answered `doing`, then `done` once the controller finished
    /// the move (`M400`). Refused during a print.
    private func move(_ command: Command) throws(CommandFailure) -> Report {
        try refuseWhilePrinting("move the axes")
        let move = try AxisMove.parse(command.data, map: axisMap, maxJogMm: controls.maxJogMm)
        let backend = try connected()
        logger.log(.info, "axis/move: " + move.gcode.joined(separator: " / "))
        return try awaiting(command) { done in
            backend.run(move.gcode) { outcome in done(outcome.map { _ in .null }) }
        } ?? .success(command, state: "doing")
    }

    /// `axis/turnOff`: the steppers off (`M84`). Refused during a print.
    private func turnOff(_ command: Command) throws(CommandFailure) -> Report {
        try refuseWhilePrinting("turn the motors off")
        if let failure = try connected().send(["M84"]) { throw failure }
        return .success(command)
    }

    /// `axis/query`: `{coordinates: {x, y, z}}`, at once on Klipper, after `M114` on Marlin:
    /// one answer, `done` (the clients know no other state for a position).
    private func queryPosition(_ command: Command) throws(CommandFailure) -> Report? {
        let backend = try connected()
        return try awaiting(command) { done in
            backend.position { outcome in done(outcome.map { $0.reportData }) }
        }
    }

    /// `light/control`: switches a configured light; the answer is its new state.
    private func controlLight(_ command: Command) throws(CommandFailure) -> Report {
        let (state, action) = try LightControl.parse(command.data, config: controls, previous: light)
        if case .linuxLed(let name) = action {
            try setLinuxLed(name, state)
        } else {
            if let needed = action.controller, needed != controller {
                throw CommandFailure(.conflict, state.type.configKey + " is set for a " + needed.rawValue + " controller, but the controller is " + controller.rawValue)
            }
            if let failure = try connected().send(LightControl.gcode(action, state)) { throw failure }
        }
        lights.removeAll { $0.type == state.type }
        lights.append(state)
        return .success(command, data: LightControl.data(state))
    }

    /// `gcode/send`: allowed lines only, refused during a print; answered `doing`, then
    /// `done` with `{lines: [...]}`, what the controller printed.
    private func console(_ command: Command) throws(CommandFailure) -> Report {
        let lines = try ConsoleRequest.parse(command.data, allowed: controls.consoleAllowed)
        try refuseWhilePrinting("use the G-code console")
        let backend = try connected()
        logger.log(.info, "console: " + lines.joined(separator: " / "))
        return try awaiting(command) { done in
            backend.run(lines) { outcome in
                done(outcome.map { .object(JSONObject([("lines", .array($0.map(JSONValue.string)))])) })
            }
        } ?? .success(command, state: "doing")
    }

    // MARK: Helpers

    /// Starts `call`, whose outcome comes through its callback as report data: an outcome
    /// that comes during the call is the answer; otherwise there is none yet (nil: the caller
    /// answers `doing`, or nothing) and the outcome is pushed as `done` or `failed` with the
    /// command's msgid.
    private func awaiting(_ command: Command,
                       _ call: (@escaping (Result<JSONValue, CommandFailure>) -> Void) -> CommandFailure?) throws(CommandFailure) -> Report? {
        answering = true
        immediate = nil
        // The backend holds the callback, and so this service, until the outcome comes.
        let failure = call { [self] outcome in
            let report: Report
            switch outcome {
            case .success(let data): report = .success(command, data: data)
            case .failure(let failure):
                report = .failure(type: command.type, action: command.action, msgid: command.msgid, failure)
            }
            if answering { immediate = report } else { outbox.send(report) }
        }
        answering = false
        if let failure { throw failure }
        defer { immediate = nil }
        return immediate
    }

    /// Throws 10101 while a print task is active.
    private func refuseWhilePrinting(_ what: String) throws(CommandFailure) {
        if isPrinting() { throw CommandFailure(.printActive, "a print task is active: the agent does not " + what + " during a print") }
    }

    /// The backend, when one is configured.
    private func connected() throws(CommandFailure) -> any PrinterBackend {
        guard let backend else {
            throw CommandFailure(.unavailable, "no motion controller is configured (set controller in the configuration)")
        }
        return backend
    }

    /// The state the agent last set light `type` to, if any.
    private func light(_ type: LightType) -> LightState? { lights.first { $0.type == type } }

    /// Writes `state` to the Linux LED `name`, scaled to its `max_brightness`.
    private func setLinuxLed(_ name: String, _ state: LightState) throws(CommandFailure) {
        let directory = controls.ledsRoot + "/" + name
        do throws(SystemError) {
            let firstLine = try FileReader.read(directory + "/max_brightness", limit: 64).prefix { $0 != UInt8(ascii: "\n") }
            let maximum = Int(ConfigFile.trimmed(Substring(String(decoding: firstLine, as: UTF8.self)))) ?? 0
            guard maximum > 0 else {
                throw SystemError(call: "read", message: directory + "/max_brightness holds no positive number")
            }
            try FileWriter.overwrite(directory + "/brightness", Array((String(LightControl.ledValue(state, maxBrightness: maximum)) + "\n").utf8))
        } catch {
            throw CommandFailure(.controllerFailed, "the LED " + name + " cannot be set: " + error.message)
        }
    }
}
