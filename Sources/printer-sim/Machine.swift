/// How long a command keeps the machine busy.
enum Work {
    /// Done at once.
    case none
    /// Busy for this many seconds: moves, homing, a dwell.
    case seconds(Double)
    /// Busy until the heater is within `WorkRunner.heatWindow` of its target. Without
    /// `waitForCooling` the wait ends at once when the heater is above its target
    /// (Marlin's `M109 S`: "wait only when heating").
    case heating(HeaterID, waitForCooling: Bool)
}

/// Which firmware's rules the machine follows where Marlin and Klipper differ.
enum Firmware {
    case marlin, klipper
}

/// What both simulated printers have: heaters, fan, motion and display, and the G-code
/// commands Marlin and Klipper both know.
final class Machine {
    /// The hotend and the bed.
    let thermals: Thermals
    /// Toolhead and extruder positions.
    private(set) var motion = MotionState()
    /// Part-cooling fan speed, 0...1.
    private(set) var fanSpeed = 0.0
    /// Positive extrusion since start, in mm (retractions do not subtract).
    private(set) var extruded = 0.0
    /// Seconds of motion so far (Klipper's `toolhead.print_time`).
    private(set) var printTime = 0.0
    /// The progress M73 set, 0...1, nil until one is received.
    private(set) var displayProgress: Double?
    /// The message M117 set, nil until one is received (or after an empty M117).
    private(set) var displayMessage: String?
    private let firmware: Firmware
    private let speed: Speed

    /// A machine at rest: heaters at ambient and off, fan off, axes at 0.
    init(firmware: Firmware, speed: Speed, thermals: Thermals) {
        self.firmware = firmware
        self.speed = speed
        self.thermals = thermals
    }

    /// Applies `command` when it is one both firmwares know and returns the time it takes;
    /// nil when it is not one of them.
    func apply(_ command: GcodeCommand) -> Work? {
        switch command.name {
        case "G0", "G1", "G2", "G3":
            extruded += max(0, motion.move(command))
            return motionWork(moves: 1)
        case "G28":
            motion.home(command)
            return motionWork(moves: 3)
        case "G4":
            let seconds = command.number("P").map { $0 / 1000 } ?? command.number("S") ?? 0
            return .seconds(speed.isInstant ? 0 : max(0, seconds))
        case "G90", "G91", "M82", "M83":
            motion.setMode(command)
        case "G92":
            motion.setPosition(command)
        case "M104", "M140":
            if let target = command.number("S") ?? (firmware == .klipper ? 0 : nil) {
                thermals.setTarget(target, for: command.name == "M104" ? .hotend : .bed)
            }
        case "M109", "M190":
            return heatAndWait(command, heater: command.name == "M109" ? .hotend : .bed)
        case "M106" where firmware == .marlin && (command.number("P") ?? 0) != 0:
            // Another fan than the part-cooling fan (Marlin's fan index P).
            break
        case "M106":
            fanSpeed = min(max(command.number("S") ?? 255, 0), 255) / 255
        case "M107":
            fanSpeed = 0
        case "M73":
            if let percent = command.number("P") { displayProgress = min(max(percent, 0), 100) / 100 }
        case "M117":
            displayMessage = command.argumentText.isEmpty ? nil : command.argumentText
        case "M18", "M84", "M220", "M221", "M400":
            break
        default:
            return nil
        }
        return Work.none
    }

    /// M114's reply as Marlin 2.1 prints it: `X:10.00 Y:0.00 Z:5.00 E:0.00 Count X:800 Y:0 Z:2000`.
    var marlinPosition: String {
        let p = motion.position
        func two(_ value: Double) -> String { Self.fixed(value, decimals: 2) }
        let steps = [80.0, 80.0, 400.0]
        return "X:\(two(p[0])) Y:\(two(p[1])) Z:\(two(p[2])) E:\(two(p[3])) Count "
            + zip(["X", "Y", "Z"], steps.indices).map { "\($0):\(Int((p[$1] * steps[$1]).rounded()))" }.joined(separator: " ")
    }

    /// M114's reply as Klipper prints it: `X:10.000 Y:0.000 Z:5.000 E:0.000`.
    var klipperPosition: String {
        let p = motion.position
        return zip(MotionState.axes, p).map { "\($0):" + Self.fixed($1, decimals: 3) }.joined(separator: " ")
    }

    /// `value` with `decimals` decimals, as `%.<decimals>f` prints it.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value.magnitude * Double(scale)).rounded())
        let fraction = String(scaled % scale)
        return (value < 0 && scaled != 0 ? "-" : "") + "\(scaled / scale)."
            + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// Puts everything back as at start (a firmware restart): heaters off, fan off, axes at
    /// 0 and not homed, display cleared. Temperatures and counters keep going.
    func restart() {
        thermals.turnOff()
        motion = MotionState()
        fanSpeed = 0
        displayProgress = nil
        displayMessage = nil
    }

    /// The time of `moves` moves at `--speed`, counted into `printTime`.
    private func motionWork(moves: Int) -> Work {
        let seconds = Double(moves) * speed.secondsPerMove
        printTime += seconds
        return .seconds(seconds)
    }

    /// M109/M190: sets the target and says how to wait. Marlin waits only with S or R (R
    /// also waits for cooling); Klipper waits in both directions unless the target is 0.
    private func heatAndWait(_ command: GcodeCommand, heater: HeaterID) -> Work {
        switch firmware {
        case .marlin:
            guard let target = command.number("S") ?? command.number("R") else { return .none }
            thermals.setTarget(target, for: heater)
            return .heating(heater, waitForCooling: command.has("R"))
        case .klipper:
            let target = command.number("S") ?? 0
            thermals.setTarget(target, for: heater)
            return target > 0 ? .heating(heater, waitForCooling: true) : .none
        }
    }
}
