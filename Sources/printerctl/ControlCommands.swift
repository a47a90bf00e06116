import ArgumentParser

/// `printerctl temp [--nozzle C] [--bed C]`: sets the target temperatures.
struct Temperature: PrinterCommand {
    static let configuration = CommandConfiguration(commandName: "temp", abstract: "Set the nozzle and/or bed target temperature (0 turns a heater off).")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The nozzle's target in °C (0-300).") var nozzle: Int?
    @Option(help: "The bed's target in °C (0-120).") var bed: Int?

    func validate() throws {
        guard nozzle != nil || bed != nil else { throw ValidationError("give --nozzle, --bed or both") }
    }

    func run(on printer: Printer, output: Output) throws {
        var data: [String: Any] = [:]
        if let nozzle { data["target_nozzle_temp"] = nozzle }
        if let bed { data["target_hotbed_temp"] = bed }
        let answer = try printer.ask("tempature", "set", data: data)
        var readout = Readout(info: [:])
        readout.apply(report: "tempature", answer)
        output.show(readout.json) { [readout.temperatureLine] }
    }
}

/// `printerctl fan PERCENT [--aux]`: sets the part-cooling (or auxiliary) fan.
struct Fan: PrinterCommand {
    static let configuration = CommandConfiguration(abstract: "Set the part-cooling fan (or the auxiliary fan) in percent.")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "The auxiliary fan.") var aux = false
    @Argument(help: "The speed, 0-100 %.") var percent: Int

    func run(on printer: Printer, output: Output) throws {
        let key = aux ? "aux_fan_speed_pct" : "fan_speed_pct"
        let answer = try printer.ask("fan", "set", data: [key: percent])
        let now = Readout.number((answer["data"] as? [String: Any])?[key], percent)
        output.show([key: now]) { ["\(aux ? "auxiliary fan" : "fan") \(now)%"] }
    }
}

/// The axes as `axis/move` numbers them, per docs/controls.md's default maps: the Kobra X's
/// (model 20030) or the Kobra 3's (every other model).
enum AxisNumbers {
    /// The `axis/move` number of the axis letter (or `all`) on model `modelId`; nil for an unknown name.
    static func number(of axis: String, modelId: String) -> Int? {
        let map = modelId == "20030" ? ["y": 1, "x": 2, "z": 3, "all": 4] : ["x": 1, "y": 2, "z": 3, "all": 5]
        return map[axis.lowercased()]
    }
}

/// Sends `axis/move` and waits for the move to be done (moves answer `doing` first).
private func move(_ axis: String, type: Int, distance: Double, on printer: Printer, output: Output) throws {
    guard let number = AxisNumbers.number(of: axis, modelId: printer.modelId) else {
        throw CtlError.usage("unknown axis \"\(axis)\": x, y, z or all")
    }
    try printer.ask("axis", "move", data: ["axis": number, "move_type": type, "distance": distance],
                    patience: max(printer.timeout, Printer.controllerPatience)) { $0 != "doing" }
    let what = type == 2 ? "homed \(axis)" : "moved \(axis) by \(distance) mm"
    output.show(["done": what]) { [what] }
}

/// `printerctl home [AXIS]`.
struct Home: PrinterCommand {
    static let configuration = CommandConfiguration(abstract: "Home an axis (x, y, z) or all of them.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "x, y, z or all.") var axis = "all"

    func run(on printer: Printer, output: Output) throws {
        try move(axis, type: 2, distance: 1, on: printer, output: output)
    }
}

/// `printerctl move AXIS MM`.
struct Move: PrinterCommand {
    static let configuration = CommandConfiguration(abstract: "Move an axis by a distance in mm (negative moves back).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "x, y or z.") var axis: String
    // Taken as text: the parser reads a negative number as an option.
    @Argument(parsing: .allUnrecognized, help: "The distance in mm (negative moves back).") var distance: [String] = []

    /// The distance as a number, once `validate` has checked it.
    private var millimetres: Double { distance.first.flatMap(Double.init) ?? 0 }

    func validate() throws {
        guard distance.count == 1, let value = Double(distance[0]), value.isFinite, value != 0 else {
            throw ValidationError("give one distance in mm, not 0, such as 10 or -2.5")
        }
    }

    func run(on printer: Printer, output: Output) throws {
        try move(axis, type: millimetres < 0 ? 0 : 1, distance: abs(millimetres), on: printer, output: output)
    }
}
