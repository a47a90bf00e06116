/// A directory path inside a storage root, as a command names it, checked before anything
/// touches the disk (design decision 6: every path from the network is resolved inside a
/// configured root). Pure: it never looks at the filesystem.
///
/// The rules:
/// - A path is always relative to a storage root. `""` and `"/"` both mean the root itself,
///   and a leading `"/"` means the storage root, never the filesystem root: clients send
///   `"path":"/"` for the top of the printer's storage, so `"/models"` is the `models`
///   directory of the storage and `"/etc/passwd"` is `etc/passwd` inside the storage.
/// - The path is split on `"/"`; empty components (doubled, leading or trailing slashes)
///   are ignored.
/// - Rejected: `".."` and `"."` components, NUL bytes, control characters (U+0000–U+001F,
///   U+007F and the C1 controls U+0080–U+009F), a component over 255 bytes and a whole path
///   over 4096 bytes (Linux's NAME_MAX and PATH_MAX).
/// - A backslash is an ordinary byte: Linux does not separate paths with it, so `..\x` is
///   one name made of four characters (which a FAT stick cannot even hold), not a way up.
///
/// Errors are `CommandFailure(.badRequest, ...)` whose message quotes the offending text
/// (escaped and shortened, so that it prints safely in a report).
public struct StoragePath: Equatable {
    /// The longest component, in bytes (NAME_MAX).
    public static let maxComponentBytes = 255
    /// The longest path, in bytes (PATH_MAX).
    public static let maxPathBytes = 4096

    /// The directory names from the root down; empty for the root itself. Each one is a
    /// valid name: non-empty, not `.` or `..`, no `/`, NUL or control character, at most
    /// 255 bytes.
    public let components: [String]

    /// The storage root itself.
    public static let root = StoragePath(checked: [])

    private init(checked components: [String]) { self.components = components }

    /// Checks `text`, a path from a command, and splits it into its components.
    public init(validating text: String) throws(CommandFailure) {
        let bytes = text.utf8
        if bytes.count > Self.maxPathBytes {
            throw CommandFailure(.badRequest, "path " + Self.quoted(text) + " is " + String(bytes.count) + " bytes long, over the limit of " + String(Self.maxPathBytes))
        }
        try Self.checkCharacters(text, what: "path")
        var components: [String] = []
        for part in bytes.split(separator: Self.slash, omittingEmptySubsequences: true) {
            let component = String(decoding: part, as: UTF8.self)
            try Self.checkComponent(component, of: text, what: "path")
            components.append(component)
        }
        self.components = components
    }

    /// Checks `text`, a file name from a command: exactly one non-empty component, with
    /// the rules of a path component (so never `""`, `"/"`, `"."`, `".."` or `"a/b"`).
    /// Returns the name unchanged.
    public static func validatedName(_ text: String) throws(CommandFailure) -> String {
        if text.isEmpty {
            throw CommandFailure(.badRequest, "file name \"\" is empty: name a file or directory inside the path")
        }
        try checkCharacters(text, what: "file name")
        if text.utf8.contains(slash) {
            throw CommandFailure(.badRequest, "file name " + quoted(text) + " contains \"/\": it must be a single name, with its directory in \"path\"")
        }
        try checkComponent(text, of: text, what: "file name")
        return text
    }

    /// Whether this is the storage root itself.
    public var isRoot: Bool { components.isEmpty }

    /// The path below the root with "/" between components and none in front (`""` for the
    /// root): how the agent names a file to others, e.g. to ask whether it is being printed.
    public var relativeText: String { Self.join(components) }

    /// The path as clients write it, with a leading "/" (`"/"` for the root): how error
    /// messages name it. It never includes where the root is on the device's filesystem.
    public var displayText: String { "/" + relativeText }

    /// The path one level down, into `name` (checked like any file name).
    public func appending(_ name: String) throws(CommandFailure) -> StoragePath {
        StoragePath(checked: components + [try Self.validatedName(name)])
    }

    /// The directory holding the last component, or nil for the root.
    public var parent: StoragePath? {
        isRoot ? nil : StoragePath(checked: Array(components.dropLast()))
    }

    /// The last component (the name of what the path points to), or nil for the root.
    public var lastComponent: String? { components.last }

    /// `text` in double quotes for a message: NUL, control characters and the C1 controls
    /// as `\xNN` (a NUL would cut the report's C string short), and shortened to about 80
    /// bytes with "…" (a 4096-byte path does not belong in a report).
    public static func quoted(_ text: String) -> String {
        "\"" + printable(text, maxBytes: 80) + "\""
    }

    /// `text` with NUL, control characters (line breaks too) and the C1 controls as `\xNN`,
    /// so that it stays one line of a log or a message; cut after about `maxBytes` bytes
    /// with "…".
    public static func printable(_ text: String, maxBytes: Int = Int.max) -> String {
        var out = ""
        var bytes = 0
        for scalar in text.unicodeScalars {
            if bytes >= maxBytes {
                out += "…"
                break
            }
            let value = scalar.value
            if value < 0x20 || (value >= 0x7F && value <= 0x9F) {
                out += "\\x" + hex(UInt8(truncatingIfNeeded: value))
            } else {
                out.unicodeScalars.append(scalar)
            }
            bytes += UTF8.width(scalar)
        }
        return out
    }

    private static let slash = UInt8(ascii: "/")

    /// Rejects NUL bytes and control characters anywhere in `text`.
    private static func checkCharacters(_ text: String, what: String) throws(CommandFailure) {
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 {
                throw CommandFailure(.badRequest, what + " " + quoted(text) + " contains a NUL byte")
            }
            if value < 0x20 || (value >= 0x7F && value <= 0x9F) {
                throw CommandFailure(.badRequest, what + " " + quoted(text) + " contains a control character (U+00" + hex(UInt8(truncatingIfNeeded: value)) + ")")
            }
        }
    }

    /// Rejects `.`, `..` and components over the length limit; `whole` is the text the
    /// component came from, quoted in the message.
    private static func checkComponent(_ component: String, of whole: String, what: String) throws(CommandFailure) {
        let dots = dotCount(component)
        if dots == 2 {
            throw CommandFailure(.badRequest, what + " " + quoted(whole) + " has a \"..\" component: nothing outside the storage can be named")
        }
        if dots == 1 {
            throw CommandFailure(.badRequest, what + " " + quoted(whole) + " has a \".\" component, which is not allowed")
        }
        let length = component.utf8.count
        if length > maxComponentBytes {
            throw CommandFailure(.badRequest, what + " component " + quoted(component) + " is " + String(length) + " bytes long, over the limit of " + String(maxComponentBytes))
        }
    }

    /// 1 for ".", 2 for "..", else 0 (compared as bytes: no Unicode equivalence involved).
    private static func dotCount(_ component: String) -> Int {
        let bytes = component.utf8
        guard bytes.count <= 2 else { return 0 }
        for byte in bytes where byte != UInt8(ascii: ".") { return 0 }
        return bytes.count
    }

    private static func join(_ components: [String]) -> String {
        var text = ""
        for (index, component) in components.enumerated() {
            if index > 0 { text += "/" }
            text += component
        }
        return text
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }
}
