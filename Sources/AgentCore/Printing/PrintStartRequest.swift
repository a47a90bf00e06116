import AgentJSON

/// What `print/start` asks for: `filename`, `filepath` (its directory, or its whole path),
/// the storage (`file_location`: `local`, the default, or `udisk`) and the client's
/// `taskid`; and, to print from the cloud, the `url` to download the file from first.
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

    /// Creates a request from checked parts.
    public init(taskId: String?, filename: String, directory: StoragePath, source: PrintSource, download: Download? = nil) {
        self.taskId = taskId
        self.filename = filename
        self.directory = directory
        self.source = source
        self.download = download
    }

    /// Reads and checks `print/start`'s data.
    public static func parse(_ data: JSONValue) throws(CommandFailure) -> PrintStartRequest {
        if data.objectValue == nil {
            throw CommandFailure(.badRequest, "print/start needs data with \"filename\"")
        }
        let name = try CommandFields.string("filename", in: data)
        var directory = StoragePath.root
        if let path = try CommandFields.optionalString("filepath", in: data) {
            directory = try StoragePath(validating: path)
        }
        // `filepath` may be the whole path of the file rather than its directory.
        if directory.components.last == name {
            directory = directory.parent ?? .root
        }
        let filename = try StoragePath.validatedName(name)
        var location = try CommandFields.optionalString("file_location", in: data)
        if location == nil { location = try CommandFields.optionalString("location", in: data) }
        let word = location ?? "local"
        guard let source = PrintSource(rawValue: word) else {
            throw CommandFailure(.badRequest, "\"file_location\" is \"" + word + "\", expected \"local\" or \"udisk\"")
        }
        let download = try downloadOf(data)
        if download != nil, source != .local {
            throw CommandFailure(.badRequest, "a print from a URL is downloaded to the local storage, not \"" + word + "\"")
        }
        return PrintStartRequest(taskId: try CommandFields.optionalIdentifier("taskid", in: data),
                                 filename: filename, directory: directory, source: source, download: download)
    }

    /// The download `data` asks for (`url`, `md5`, `filesize`), or nil without a `url`.
    static func downloadOf(_ data: JSONValue) throws(CommandFailure) -> Download? {
        guard let url = try CommandFields.optionalString("url", in: data) else { return nil }
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
