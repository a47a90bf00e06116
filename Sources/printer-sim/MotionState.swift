/// Where the toolhead and the extruder are, as G0/G1/G2/G3, G28, G90/G91, M82/M83 and
/// G92 change them (Klipper's rules: G91 makes every axis relative, E included; M83 makes
/// only E relative).
struct MotionState {
    /// The axes in the order of Klipper's `toolhead.position`.
    static let axes: [Character] = ["X", "Y", "Z", "E"]

    /// X, Y, Z and E, in mm.
    private(set) var position: [Double] = [0, 0, 0, 0]
    /// The axes homed since start (`xyz` after a G28), as Klipper's `homed_axes`.
    private(set) var homedAxes = ""
    private var absoluteCoordinates = true
    private var absoluteExtrusion = true

    /// Applies a G90, G91, M82 or M83.
    mutating func setMode(_ command: GcodeCommand) {
        switch command.name {
        case "G90": absoluteCoordinates = true
        case "G91": absoluteCoordinates = false
        case "M82": absoluteExtrusion = true
        case "M83": absoluteExtrusion = false
        default: break
        }
    }

    /// Moves to the position a G0/G1/G2/G3 names and returns how far the extruder moved
    /// (positive when extruding).
    mutating func move(_ command: GcodeCommand) -> Double {
        let before = position[3]
        for (index, axis) in Self.axes.enumerated() {
            guard let value = command.number(axis) else { continue }
            let relative = !absoluteCoordinates || (axis == "E" && !absoluteExtrusion)
            position[index] = relative ? position[index] + value : value
        }
        return position[3] - before
    }

    /// G92: sets the named axes' positions without moving (all axes to 0 when none is named).
    mutating func setPosition(_ command: GcodeCommand) {
        let named = Self.axes.filter { command.has($0) }
        for (index, axis) in Self.axes.enumerated() where named.isEmpty || named.contains(axis) {
            position[index] = command.number(axis) ?? 0
        }
    }

    /// G28: homes the named axes (all when none is named) to 0.
    mutating func home(_ command: GcodeCommand) {
        let linear: [Character] = ["X", "Y", "Z"]
        let named = linear.filter { command.has($0) }
        let homing = named.isEmpty ? linear : named
        for (index, axis) in linear.enumerated() where homing.contains(axis) {
            position[index] = 0
        }
        let homed = linear.filter { homing.contains($0) || homedAxes.uppercased().contains($0) }
        homedAxes = String(homed).lowercased()
    }
}
