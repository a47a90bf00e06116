import AgentJSON

/// What `print/start` asks for when the file is already on the printer: `filename`,
/// `filepath` (its directory, or its whole path), the storage (`file_location`:
/// `local`, the default, or `udisk`) and the client's `taskid`.
public struct PrintStartRequest: Equatable {
    /// The client's task id, when it sent one.
    public var taskId: String?
    /// The file's name (one checked path component).
    public var filename: String
    /// The file's directory below its storage root.
    public var directory: StoragePath
    /// The storage the file is on.
    public var source: PrintSource

    /// Creates a request from checked parts.
    public init(taskId: String?, filename: String, directory: StoragePath, source: PrintSource) {
        self.taskId = taskId
        self.filename = filename
        self.directory = directory
        self.source = source
    }

    /// Reads and checks `print/start`'s data. A `url` (printing from the cloud) is refused
    /// with 501 until downloads land.
    public static func parse(_ data: JSONValue) throws(CommandFailure) -> PrintStartRequest {
        if data.objectValue == nil {
            throw CommandFailure(.badRequest, "print/start needs data with \"filename\"")
        }
        if let url = data["url"], url != .null {
            throw CommandFailure(.notAvailable, "printing from a URL is not available in this version of the agent; copy the file to the printer first")
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
        return PrintStartRequest(taskId: try CommandFields.optionalIdentifier("taskid", in: data),
                                 filename: filename, directory: directory, source: source)
    }
}
