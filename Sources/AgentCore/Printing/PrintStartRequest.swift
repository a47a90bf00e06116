import AgentJSON

/// What `print/start` asks for, as every sender sends it: `filename` (a name, or a path below
/// the storage root: `models/cube.gcode`), `filepath` (its directory, or its whole path), the
/// storage (`filetype` 1 local or 2 USB, as the app and Home Assistant send it; or
/// `file_location`/`location` `local` or `udisk`; local by default), the client's `taskid`
/// (`"-1"`, "the current job", means none) and `localtask`; and, to print from the cloud,
/// the `url` to download the file from first (an empty `url` and `md5`, as Slicer Next sends
/// for a file already on the printer, mean no download).
public struct PrintStartRequest: Equatable {
    /// Where to download the file from, and what it must be once downloaded.
    public struct Download: Equatable {
        /// The file's http or https URL.
        public var url: String
        /// Its MD5, 32 lower-case hex digits.
        public var md5: String
        /// Its size in bytes, when the cloud says.
        public var size: Int64?

        /// Creates a download from checked parts.
        public init(url: String, md5: String, size: Int64?) {
            self.url = url
            self.md5 = md5
            self.size = size
        }
    }

    /// The client's task id, when it sent one.
    public var taskId: String?
    /// The file's name (one checked path component).
    public var filename: String
    /// The file's directory below its storage root.
    public var directory: StoragePath
    /// The storage the file is on.
    public var source: PrintSource
    /// The download that brings the file, for a print from the cloud (always to the local storage).
    public var download: Download?
    /// The client's `localtask`, echoed in the reports ("" when it sent none).
    public var localTask = ""

    /// Creates a request from checked parts.
    public init(taskId: String?, filename: String, directory: StoragePath, source: PrintSource, download: Download? = nil,
                localTask: String = "") {
        self.taskId = taskId
        self.filename = filename
        self.directory = directory
        self.source = source
        self.download = download
        self.localTask = localTask
    }

    /// Reads and checks `print/start`'s data.
    public static func parse(_ data: JSONValue) throws(CommandFailure) -> PrintStartRequest {
        if data.objectValue == nil {
            throw CommandFailure(.badRequest, "print/start needs data with \"filename\"")
        }
        let named = try StoragePath(validating: try CommandFields.string("filename", in: data))
        guard let filename = named.lastComponent else {
            throw CommandFailure(.badRequest, "\"filename\" names the storage root, not a file")
        }
        var path = named.components
        if let text = try CommandFields.optionalString("filepath", in: data) {
            // `filepath` is the file's whole path, or its directory (which may already end
            // with the directories `filename` names).
            let given = try StoragePath(validating: text).components
            let directories = Array(path.dropLast())
            if given.count >= path.count, Array(given.suffix(path.count)) == path {
                path = given
            } else if !directories.isEmpty, given.count >= directories.count, Array(given.suffix(directories.count)) == directories {
                path = given + [filename]
            } else {
                path = given + path
            }
        }
        if try useAms(data) {
            throw CommandFailure(.notAvailable, "this printer has no colour box (ACE): print with use_ams off, on the loaded filament")
        }
        let source = try source(data)
        let download = try downloadOf(data)
        if download != nil, source != .local {
            throw CommandFailure(.badRequest, "a print from a URL is downloaded to the local storage, not the USB stick")
        }
        var taskId = try CommandFields.optionalIdentifier("taskid", in: data)
        if taskId == TaskNumbering.activeJob || taskId == "" { taskId = nil }
        let directory = try StoragePath(validating: path.dropLast().joined(separator: "/"))
        return PrintStartRequest(taskId: taskId, filename: filename, directory: directory, source: source,
                                 download: download, localTask: try CommandFields.optionalIdentifierString("localtask", in: data) ?? "")
    }

    /// The storage `data` names: `filetype` (1 local, 2 USB; 0, a URL, is local) or
    /// `file_location`/`location` (`local`, `udisk`); local when neither is there. The two
    /// must agree when both are.
    static func source(_ data: JSONValue) throws(CommandFailure) -> PrintSource {
        var byType: PrintSource?
        if let type = try CommandFields.optionalInt("filetype", in: data, range: 0...2) {
            byType = type == 2 ? .udisk : .local
        }
        var location = try CommandFields.optionalString("file_location", in: data)
        if location == nil { location = try CommandFields.optionalString("location", in: data) }
        guard let word = location else { return byType ?? .local }
        guard let byLocation = PrintSource(rawValue: word) else {
            throw CommandFailure(.badRequest, "\"file_location\" is \"" + word + "\", expected \"local\" or \"udisk\"")
        }
        if let byType, byType != byLocation {
            throw CommandFailure(.badRequest, "\"filetype\" and \"file_location\" name different storages")
        }
        return byLocation
    }

    /// Whether `ams_settings.use_ams` asks for the colour box.
    static func useAms(_ data: JSONValue) throws(CommandFailure) -> Bool {
        guard let settings = data["ams_settings"], settings != .null else { return false }
        switch settings["use_ams"] {
        case .bool(let on)?: return on
        case .number(let value)?: return value != 0
        default: return false
        }
    }

    /// The download `data` asks for (`url`, `md5`, `filesize`), or nil without a `url` (or
    /// with an empty one).
    static func downloadOf(_ data: JSONValue) throws(CommandFailure) -> Download? {
        guard let url = try CommandFields.optionalString("url", in: data), !url.isEmpty else { return nil }
        return Download(url: try DownloadFields.url(url), md5: try DownloadFields.md5(CommandFields.string("md5", in: data), key: "md5"),
                        size: try DownloadFields.size("filesize", in: data))
    }
}

/// Checks of the fields that describe a download, shared by `print/start` and `ota/update`.
public enum DownloadFields {
    /// The largest file accepted: 16 GiB.
    public static let maxSize: Int64 = 1 << 34

    /// `text` when it is an http or https URL without spaces or control characters.
    public static func url(_ text: String) throws(CommandFailure) -> String {
        let bytes = Array(text.utf8)
        let lowered = bytes.prefix(8).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        guard lowered.starts(with: Array("http://".utf8)) || lowered.starts(with: Array("https://".utf8)) else {
            throw CommandFailure(.badRequest, "the URL must start with http:// or https://")
        }
        guard bytes.count <= 4096, !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7f }) else {
            throw CommandFailure(.badRequest, "the URL must be at most 4096 bytes without spaces or control characters")
        }
        return text
    }

    /// `text` lower-cased when it is 32 hex digits.
    public static func md5(_ text: String, key: String) throws(CommandFailure) -> String {
        let bytes = text.utf8.map { $0 >= 65 && $0 <= 70 ? $0 + 32 : $0 }
        guard bytes.count == 32, bytes.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw CommandFailure(.badRequest, "\"" + key + "\" must be 32 hexadecimal digits")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The size member `key` (a whole number of bytes, or a string of digits), or nil when absent.
    public static func size(_ key: String, in data: JSONValue) throws(CommandFailure) -> Int64? {
        let value: Int64?
        switch data[key] {
        case nil, .null?: return nil
        case .string(let text)?: value = Int64(text)
        case let number?: value = number.int64Value
        }
        guard let value, value >= 0, value <= maxSize else {
            throw CommandFailure(.badRequest, "\"" + key + "\" must be a whole number of bytes up to 16 GiB")
        }
        return value
    }
}
