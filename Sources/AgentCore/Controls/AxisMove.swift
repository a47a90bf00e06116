import AgentJSON

/// An `axis/move` as the agent carries it out: home some axes, or jog one by a distance.
public struct AxisMove: Equatable {
    /// What the move does.
    public enum Kind: Equatable {
        /// `G28` of the axes.
        case home
        /// A relative move of the one axis by this many millimetres (negative: towards 0).
        case jog(Double)
    }

    /// The axes moved, some of `X`, `Y`, `Z` in that order.
    public var axes: String
    /// Homing or jogging.
    public var kind: Kind

    /// Creates a move.
    public init(axes: String, kind: Kind) {
        self.axes = axes
        self.kind = kind
    }

    /// The jog feed rate of X and Y in mm/min.
    public static let planarFeed = 3000
    /// The jog feed rate of Z in mm/min.
    public static let verticalFeed = 600

    /// Reads `{axis, move_type (0 minus, 1 plus, 2 home), distance}` with `map` naming the axis
    /// numbers and `maxJogMm` the longest jog. A jog needs one axis and a distance above 0.
    public static func parse(_ data: JSONValue, map: AxisMap, maxJogMm: Int) throws(CommandFailure) -> AxisMove {
        guard let number = try CommandFields.optionalInt("axis", in: data, range: Int(Int32.min)...Int(Int32.max)) else {
            throw CommandFailure(.badRequest, "\"axis\" is missing")
        }
        guard let axes = map.axes(of: number) else {
            let known = map.entries.map { String($0.number) + " (" + $0.axes + ")" }.joined(separator: ", ")
            throw CommandFailure(.badRequest, "unknown axis " + String(number) + "; this printer's axes are " + known + " (axis_map)")
        }
        guard let moveType = try CommandFields.optionalInt("move_type", in: data, range: 0...2) else {
            throw CommandFailure(.badRequest, "\"move_type\" is missing (0 minus, 1 plus, 2 home)")
        }
        if moveType == 2 { return AxisMove(axes: axes, kind: .home) }
        guard axes.utf8.count == 1 else {
            throw CommandFailure(.badRequest, "axis " + String(number) + " names " + axes + ": several axes can only be homed (move_type 2), not jogged")
        }
        guard let distance = try CommandFields.optionalNumber("distance", in: data, range: 0...Double(maxJogMm)) else {
            throw CommandFailure(.badRequest, "\"distance\" is missing (millimetres, up to " + String(maxJogMm) + ")")
        }
        guard distance > 0 else { throw CommandFailure(.badRequest, "\"distance\" must be above 0 mm") }
        return AxisMove(axes: axes, kind: .jog(moveType == 0 ? -distance : distance))
    }

    /// The G-code of the move, the same for Marlin and Klipper: `G28 <axes>` (`G28` alone for
    /// all three), or `G91`, `G1 <axis><±mm> F<feed>`, `G90`; then `M400`, whose
    /// acknowledgement says the move is done.
    public var gcode: [String] {
        switch kind {
        case .home:
            let named = axes == "XYZ" ? "" : " " + axes.utf8.map { String(decoding: [$0], as: UTF8.self) }.joined(separator: " ")
            return ["G28" + named, "M400"]
        case .jog(let distance):
            let feed = axes == "Z" ? Self.verticalFeed : Self.planarFeed
            return ["G91", "G1 " + axes + (SettingsGcode.decimal(distance) ?? "0") + " F" + String(feed), "G90", "M400"]
        }
    }
}

/// A toolhead position (`axis/query`'s `coordinates`), in millimetres.
public struct AxisPosition: Equatable {
    /// X, Y and Z.
    public var x: Double, y: Double, z: Double

    /// Creates a position.
    public init(x: Double, y: Double, z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// `{coordinates: {x, y, z}}`, each rounded to 0.01 mm.
    public var reportData: JSONValue {
        func rounded(_ value: Double) -> JSONValue {
            guard value.isFinite, value.magnitude < 1e9 else { return .number(0) }
            return .number(Double(Int64(value * 100 + (value < 0 ? -0.5 : 0.5))) / 100)
        }
        return .object(JSONObject([("coordinates", .object(JSONObject([
            ("x", rounded(x)), ("y", rounded(y)), ("z", rounded(z)),
        ])))]))
    }
}
