/// A JSON document as a Swift value: what the agent parses commands into and builds
/// reports from. Objects keep their keys in insertion order so that reports are printed
/// in the order they are built (and read the same in a log as in the protocol doc).
public enum JSONValue: Equatable {
    case null
    case bool(Bool)
    /// Every JSON number. Integers are exact up to 2^53, which covers millisecond
    /// timestamps and byte sizes.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// An integer value, for building reports from `Int`.
    public static func int(_ value: Int) -> JSONValue { .number(Double(value)) }

    /// A 64-bit integer value (milliseconds, byte sizes).
    public static func int64(_ value: Int64) -> JSONValue { .number(Double(value)) }

    /// The member named `key` when this is an object, else nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number as an exact 64-bit integer, when this is an integral number in range.
    public var int64Value: Int64? {
        guard case .number(let value) = self, value.rounded(.towardZero) == value,
              value >= -9_007_199_254_740_992, value <= 9_007_199_254_740_992 else { return nil }
        return Int64(value)
    }

    /// The number, when this is a number.
    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The object, when this is an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The name of this value's JSON type, for error messages ("expected a string, got a number").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON object: members in insertion order. Lookup is linear, which is the fastest
/// choice for the handful of keys a command or report has.
public struct JSONObject: Equatable {
    /// The members, in order. A key may repeat in parsed input; lookup finds the first.
    public private(set) var members: [Member]

    /// One key and its value.
    public struct Member: Equatable {
        public var key: String
        public var value: JSONValue
    }

    /// An empty object.
    public init() { members = [] }

    /// An object with these members, in this order.
    public init(_ pairs: [(String, JSONValue)]) {
        members = []
        members.reserveCapacity(pairs.count)
        for (key, value) in pairs { members.append(Member(key: key, value: value)) }
    }

    /// The value of the first member named `key`; setting replaces it or appends a member.
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members where member.key == key { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Appends a member without looking for an earlier one of the same key (parsing keeps
    /// every member in linear time; lookup finds the first).
    public mutating func append(_ key: String, _ value: JSONValue) {
        members.append(Member(key: key, value: value))
    }

    /// Whether the object has no members.
    public var isEmpty: Bool { members.isEmpty }
}
