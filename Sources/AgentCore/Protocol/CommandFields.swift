import AgentJSON

/// Typed reading of a command's `data` members, with the error sentence a client sees
/// when a member is missing or of the wrong type (code 400).
public enum CommandFields {
    /// The string member `key`; missing or another type is an error.
    public static func string(_ key: String, in data: JSONValue) throws(CommandFailure) -> String {
        guard let text = try optionalString(key, in: data) else { throw CommandFailure(.badRequest, "\"" + key + "\" is missing") }
        return text
    }

    /// The string member `key`, or nil when it is missing or null.
    public static func optionalString(_ key: String, in data: JSONValue) throws(CommandFailure) -> String? {
        switch data[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw wrongType(key, other, "a string")
        }
    }

    /// The number member `key` within `range`, or nil when it is missing or null.
    public static func optionalNumber(_ key: String, in data: JSONValue,
                                      range: ClosedRange<Double>) throws(CommandFailure) -> Double? {
        switch data[key] {
        case nil, .null?: return nil
        case .number(let value)?:
            guard range.contains(value) else {
                throw CommandFailure(.badRequest, "\"" + key + "\" is " + JSONCodec.print(.number(value)) + ", expected "
                                     + JSONCodec.print(.number(range.lowerBound)) + " to " + JSONCodec.print(.number(range.upperBound)))
            }
            return value
        case let other?: throw wrongType(key, other, "a number")
        }
    }

    /// The whole-number member `key` within `range`, or nil when it is missing or null.
    public static func optionalInt(_ key: String, in data: JSONValue, range: ClosedRange<Int>) throws(CommandFailure) -> Int? {
        guard let value = try optionalNumber(key, in: data, range: Double(range.lowerBound)...Double(range.upperBound)) else {
            return nil
        }
        guard value.rounded(.towardZero) == value else {
            throw CommandFailure(.badRequest, "\"" + key + "\" must be a whole number")
        }
        return Int(value)
    }

    /// The longest id a client gives a job (`taskid`, `localtask`) that is taken: real ones
    /// are numbers and uuids, and every report of the job repeats them.
    public static let maxIdentifierBytes = 128

    /// A string or whole number member `key` as text (task ids come both ways), or nil; a
    /// string must be an id (`identifier`).
    public static func optionalIdentifier(_ key: String, in data: JSONValue) throws(CommandFailure) -> String? {
        switch data[key] {
        case nil, .null?: return nil
        case .string(let text)?: return try identifier(key, text)
        case let number? where number.int64Value != nil: return JSONCodec.print(number)
        case let other?: throw wrongType(key, other, "a string or a whole number")
        }
    }

    /// The string member `key`, an id the agent repeats in its reports (`localtask`), or nil
    /// when it is missing or null.
    public static func optionalIdentifierString(_ key: String, in data: JSONValue) throws(CommandFailure) -> String? {
        guard let text = try optionalString(key, in: data) else { return nil }
        return try identifier(key, text)
    }

    /// `text`, the value of `key`, when it is at most `maxIdentifierBytes` of printable ASCII.
    private static func identifier(_ key: String, _ text: String) throws(CommandFailure) -> String {
        guard text.utf8.count <= maxIdentifierBytes, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
            throw CommandFailure(.badRequest, "\"" + key + "\" must be at most " + String(maxIdentifierBytes)
                                 + " printable ASCII characters")
        }
        return text
    }

    private static func wrongType(_ key: String, _ value: JSONValue, _ expected: String) -> CommandFailure {
        CommandFailure(.badRequest, "\"" + key + "\" is " + value.typeName + ", expected " + expected)
    }
}
