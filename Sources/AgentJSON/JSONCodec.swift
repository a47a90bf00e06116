import CJSON

/// Why a JSON text could not be parsed.
public struct JSONParseError: Error, Equatable {
    /// A sentence a person can act on, with the byte offset where parsing stopped.
    public var message: String
}

/// Parses and prints JSON through cJSON (design decision 4: no hand-written JSON parser).
public enum JSONCodec {
    /// Parses a whole JSON text. Trailing bytes other than white space, bytes that are
    /// not JSON, nesting deeper than cJSON's limit (1000) and empty input are errors; so
    /// are NUL bytes and `\u0000` escapes, which cJSON's C strings would silently cut at.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        if bytes.isEmpty { throw JSONParseError(message: "empty payload, expected a JSON object") }
        if let problem = nulProblem(bytes) { throw JSONParseError(message: "malformed JSON: \(problem)") }
        var terminated = bytes
        terminated.append(0)
        var stoppedAt = 0
        let tree: UnsafeMutablePointer<cJSON>? = terminated.withUnsafeBufferPointer { buffer in
            guard let start = buffer.baseAddress else { return nil }
            return start.withMemoryRebound(to: CChar.self, capacity: buffer.count) { base in
                var end: UnsafePointer<CChar>? = nil
                let root = cJSON_ParseWithLengthOpts(base, buffer.count, &end, 1)
                if let end { stoppedAt = base.distance(to: end) }
                return root
            }
        }
        guard let tree else {
            throw JSONParseError(message: "malformed JSON at byte \(stoppedAt)")
        }
        defer { cJSON_Delete(tree) }
        return value(of: tree)
    }

    /// Where `bytes` holds a NUL byte or a `\u0000` escape, described, or nil.
    private static func nulProblem(_ bytes: [UInt8]) -> String? {
        let escapedNul = Array("u0000".utf8)
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case 0:
                return "a NUL byte at byte \(index)"
            case UInt8(ascii: "\\"):
                if bytes[(index + 1)...].starts(with: escapedNul) { return "a \\u0000 escape at byte \(index)" }
                index += 2
            default:
                index += 1
            }
        }
        return nil
    }

    /// Parses a JSON text given as a String.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Prints a value as compact JSON text.
    public static func print(_ value: JSONValue) -> String {
        let tree = node(of: value)
        defer { cJSON_Delete(tree) }
        guard let text = cJSON_PrintUnformatted(tree) else { return "null" }
        defer { cJSON_free(text) }
        return String(cString: text)
    }

    private static func value(of node: UnsafeMutablePointer<cJSON>) -> JSONValue {
        let type = node.pointee.type & 0xFF
        switch type {
        case cJSON_False: return .bool(false)
        case cJSON_True: return .bool(true)
        case cJSON_Number: return .number(node.pointee.valuedouble)
        case cJSON_String, cJSON_Raw:
            guard let text = node.pointee.valuestring else { return .string("") }
            return .string(String(cString: text))
        case cJSON_Array:
            var items: [JSONValue] = []
            var child = node.pointee.child
            while let current = child {
                items.append(value(of: current))
                child = current.pointee.next
            }
            return .array(items)
        case cJSON_Object:
            var object = JSONObject()
            var child = node.pointee.child
            while let current = child {
                let key = current.pointee.string.map { String(cString: $0) } ?? ""
                object.append(key, value(of: current))
                child = current.pointee.next
            }
            return .object(object)
        default:
            return .null
        }
    }

    private static func node(of value: JSONValue) -> UnsafeMutablePointer<cJSON>? {
        switch value {
        case .null: return cJSON_CreateNull()
        case .bool(let flag): return cJSON_CreateBool(flag ? 1 : 0)
        case .number(let number):
            // Printed here, not by cJSON, so that the text parses back to the same double:
            // whole numbers up to 2^53 as integers, others with the fewest digits that
            // round-trip (cJSON loses digits near 2^53 and can lose the last bit past it).
            if let whole = value.int64Value { return cJSON_CreateRaw("\(whole)") }
            guard number.isFinite else { return cJSON_CreateNull() }
            var buffer = [CChar](repeating: 0, count: 32)
            return buffer.withUnsafeMutableBufferPointer { text in
                cJSON_CreateRaw(agent_json_format_double(number, text.baseAddress, text.count))
            }
        case .string(let text): return cJSON_CreateString(text)
        case .array(let items):
            let array = cJSON_CreateArray()
            for item in items { cJSON_AddItemToArray(array, node(of: item)) }
            return array
        case .object(let object):
            let result = cJSON_CreateObject()
            for member in object.members {
                cJSON_AddItemToObject(result, member.key, node(of: member.value))
            }
            return result
        }
    }
}
