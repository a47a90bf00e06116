/// A heater of the simulated printer.
enum HeaterID: CaseIterable {
    case hotend, bed
}

/// One heater: it moves toward its target at `rate` °C per second when heating and half
/// that when cooling, never overshoots, settles exactly on the target (no noise), and never
/// cools below ambient. An infinite rate jumps to the target at once.
struct Heater {
    /// The room temperature every heater starts at and cools toward.
    static let ambient = 25.0

    /// Degrees per second while heating (cooling goes at half).
    let rate: Double
    /// The current temperature.
    private(set) var temperature = ambient
    /// The target; 0 is off.
    var target = 0.0

    /// Where the heater comes to rest: its target, or ambient for a target below it.
    var restingPoint: Double { max(target, Self.ambient) }

    /// Whether the temperature is above the target (Marlin's `isCooling`).
    var isAboveTarget: Bool { temperature > target }

    /// The heater's duty: full while heating toward a target, a quarter while holding it,
    /// none when off or cooling (what Klipper reports as `power`).
    var power: Double {
        if target <= 0 || temperature > target { return 0 }
        return temperature < target ? 1 : 0.25
    }

    /// Moves the temperature on by `seconds`.
    mutating func advance(by seconds: Double) {
        let rest = restingPoint
        if rate.isInfinite {
            temperature = rest
        } else if temperature < rest {
            temperature = min(rest, temperature + rate * seconds)
        } else if temperature > rest {
            temperature = max(rest, temperature - rate / 2 * seconds)
        }
    }

    /// Seconds until the temperature is within `window` degrees of where it comes to rest.
    func secondsUntilSettled(within window: Double) -> Double {
        let distance = restingPoint - temperature
        if abs(distance) <= window || rate.isInfinite { return 0 }
        return distance > 0 ? (distance - window) / rate : (-distance - window) / (rate / 2)
    }
}

/// The printer's heaters, advanced together on the simulator's clock whenever they are read.
final class Thermals {
    private var hotend: Heater
    private var bed: Heater
    private var updatedAt: Double
    private let clock: () -> Double

    /// Heaters at ambient with their targets off, moving at `rate` °C per second.
    init(rate: Double, clock: @escaping () -> Double) {
        hotend = Heater(rate: rate)
        bed = Heater(rate: rate)
        self.clock = clock
        updatedAt = clock()
    }

    /// The heater `id` as it is now.
    subscript(id: HeaterID) -> Heater {
        update()
        switch id {
        case .hotend: return hotend
        case .bed: return bed
        }
    }

    /// Sets the target of heater `id` (from now on).
    func setTarget(_ target: Double, for id: HeaterID) {
        update()
        switch id {
        case .hotend: hotend.target = max(0, target)
        case .bed: bed.target = max(0, target)
        }
    }

    /// Turns every heater off.
    func turnOff() {
        for id in HeaterID.allCases { setTarget(0, for: id) }
    }

    /// Advances every heater to the clock's time.
    private func update() {
        let now = clock()
        let elapsed = now - updatedAt
        updatedAt = now
        guard elapsed > 0 else { return }
        hotend.advance(by: elapsed)
        bed.advance(by: elapsed)
    }
}
