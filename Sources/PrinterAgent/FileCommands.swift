import AgentCore
import AgentJSON
import AgentPlatform
import CLibc

/// The `file` commands on the local storage and the USB stick: `listLocal`, `listUdisk`,
/// `deleteLocal`, `deleteUdisk`, `deleteBatch` and `fileDetails`.
/// Every path and name from a command is checked by `StoragePath` and resolved by
/// `StorageRoot`, so nothing outside the roots is ever read or deleted. State words: a
/// listing answers `done`, a delete `success`, a failure `failed` with the error's code.
final class FileCommands {
    /// The two storages a command can name.
    enum Location {
        /// The printer's internal storage.
        case local
        /// The USB stick, when one is inserted.
        case udisk

        /// The word of `file_location` and of `deleteBatch`'s `data.root`.
        var word: String {
            switch self {
            case .local: return "local"
            case .udisk: return "udisk"
            }
        }
    }

    /// The most files one `deleteBatch` may name.
    static let maxBatch = 1000

    /// A file was deleted: its path below the root of its storage, and the storage.
    var onRemoved: (String, PrintSource) -> Void = { _, _ in }

    private let local: StorageRoot
    private let usbRoot: () -> String?
    private let inUse: (String) -> Bool

    /// Creates the handlers for the local storage at `localRoot`, the USB stick mounted at
    /// `usbRoot()` (nil when none is inserted: USB commands then answer 503), and `inUse`,
    /// which tells whether the file at an absolute path (root path + "/" + path below the
    /// root, e.g. "/mnt/UDISK/models/a.gcode") is being printed and so must not be deleted.
    init(localRoot: String, usbRoot: @escaping () -> String?, inUse: @escaping (String) -> Bool) {
        local = StorageRoot(path: localRoot, label: "the local storage")
        self.usbRoot = usbRoot
        self.inUse = inUse
    }

    /// Registers the handlers. The router keeps this object alive.
    func register(in router: CommandRouter) {
        router.register("file", "listLocal") { self.list($0, .local) }
        router.register("file", "listUdisk") { self.list($0, .udisk) }
        router.register("file", "deleteLocal") { self.delete($0, .local) }
        router.register("file", "deleteUdisk") { self.delete($0, .udisk) }
        router.register("file", "deleteBatch") { self.deleteBatch($0) }
        router.register("file", "fileDetails") { self.details($0) }
    }

    /// `listLocal` / `listUdisk`: `data.path` (default the root), optional `page` and `limit`.
    /// With no stick inserted, `listUdisk` lists nothing, as the firmware does (an error
    /// would stand in the clients' state as a printer fault).
    func list(_ command: Command, _ location: Location) -> Report {
        do throws(StorageError) {
            let directory = try Self.path(in: command.data)
            let page: ListingPage
            do {
                page = try ListingPage.read(from: command.data)
            } catch {
                throw StorageError(error)
            }
            let paged = command.data["page"] != nil || command.data["limit"] != nil
            let entries = try storage(location)?.list(directory) ?? []
            return .success(command, state: "done",
                            data: FileListing.reportData(entries, page: page, location: location.word, paged: paged))
        } catch {
            return .failure(type: command.type, action: command.action, msgid: command.msgid, error.failure)
        }
    }

    /// `deleteLocal` / `deleteUdisk`: `data.path` (default the root) and `data.filename`.
    func delete(_ command: Command, _ location: Location) -> Report {
        do throws(StorageError) {
            let directory = try Self.path(in: command.data)
            let name = try Self.string("filename", in: command.data)
            try deleteFile(name, in: directory, from: root(location))
            return .success(command, state: "success")
        } catch {
            return .failure(type: command.type, action: command.action, msgid: command.msgid, error.failure)
        }
    }

    /// `deleteBatch`: `data.root` ("local" or "udisk") and `data.files`, paths below that
    /// root. Each file's outcome is in `data.results` as `{filename, code, msg}`; the report's
    /// code is 200 when every file was deleted, else the first failure's code.
    func deleteBatch(_ command: Command) -> Report {
        let storage: StorageRoot
        let files: [String]
        do throws(StorageError) {
            files = try Self.fileList(in: command.data)
            storage = try root(Self.location(in: command.data))
        } catch {
            return .failure(type: command.type, action: command.action, msgid: command.msgid, error.failure)
        }
        var results: [JSONValue] = []
        var firstFailure: CommandFailure? = nil
        var failures = 0
        for file in files {
            var outcome = CommandFailure(.ok, "ok")
            do throws(StorageError) {
                let (directory, name) = try Self.split(file, root: "is the storage root itself, which is never deleted")
                try deleteFile(name, in: directory, from: storage)
            } catch {
                outcome = error.failure
                failures += 1
                if firstFailure == nil { firstFailure = error.failure }
            }
            results.append(.object(JSONObject([
                ("filename", .string(file)),
                ("code", .int(outcome.code.rawValue)),
                ("msg", .string(outcome.message)),
            ])))
        }
        let data = JSONValue.object(JSONObject([("results", .array(results))]))
        guard let firstFailure else { return .success(command, state: "success", data: data) }
        return Report(type: command.type, action: command.action, msgid: command.msgid, state: "failed",
                      code: firstFailure.code,
                      message: String(failures) + " of " + String(files.count) + " files could not be deleted; the first: " + firstFailure.message,
                      data: data)
    }

    /// `fileDetails`: `data.root` ("local" or "udisk") and `data.filename`, a path below that
    /// root. What the slicer wrote in the file's header and footer comments (time, layers,
    /// filament, temperatures, slicer, PNG thumbnail), read from its first 512 KiB and last
    /// 64 KiB only, whatever its size; and the same in the firmware's `file_details` object,
    /// which Slicer Next and the bridges read the thumbnail from.
    func details(_ command: Command) -> Report {
        do throws(StorageError) {
            let location = try Self.location(in: command.data)
            let file = try Self.string("filename", in: command.data)
            let (directory, name) = try Self.split(file, root: "is the storage root, not a file")
            let descriptor = try root(location).openFile(directory, name: name)
            defer { close(descriptor) }
            let window: GcodeWindow
            do {
                window = try GcodeWindow.read(descriptor: descriptor, name: file)
            } catch {
                throw StorageError(StorageError.ioErrorCode, error.message, errno: error.errno)
            }
            var data = window.metadata.data.objectValue ?? JSONObject()
            data["root"] = .string(location.word)
            data["filename"] = .string(file)
            data["size"] = .int64(window.fileSize)
            data["file_location"] = .string(location.word)
            data["plate_index"] = .int(1)
            data["file_details"] = .object(window.metadata.fileDetails)
            return .success(command, state: "done", data: .object(data))
        } catch {
            return .failure(type: command.type, action: command.action, msgid: command.msgid, error.failure)
        }
    }

    /// A file path from a command, checked, as its directory and last name; `root` says
    /// why the root itself cannot be the file.
    private static func split(_ file: String, root: String) throws(StorageError) -> (StoragePath, String) {
        let path: StoragePath
        do {
            path = try StoragePath(validating: file)
        } catch {
            throw StorageError(error)
        }
        guard let directory = path.parent, let name = path.lastComponent else {
            throw StorageError(.badRequest, StoragePath.quoted(file) + " " + root)
        }
        return (directory, name)
    }

    /// `data.root`: "local" or "udisk".
    private static func location(in data: JSONValue) throws(StorageError) -> Location {
        let word = try string("root", in: data)
        switch word {
        case "local": return .local
        case "udisk": return .udisk
        default: throw StorageError(.badRequest, "\"root\" is " + StoragePath.quoted(word) + ", expected \"local\" or \"udisk\"")
        }
    }

    /// Deletes `name` in `directory` of `storage`, refusing the file being printed.
    private func deleteFile(_ name: String, in directory: StoragePath, from storage: StorageRoot) throws(StorageError) {
        let prefix = storage.path == "/" ? "" : storage.path
        try storage.delete(directory, name: name, inUse: { relative in inUse(prefix + "/" + relative) })
        onRemoved(directory.isRoot ? name : directory.relativeText + "/" + name, storage.path == local.path ? .local : .udisk)
    }

    /// The storage a command names, nil for the USB stick when none is inserted.
    private func storage(_ location: Location) -> StorageRoot? {
        switch location {
        case .local: return local
        case .udisk: return usbRoot().map(StorageRoot.usbStick)
        }
    }

    /// The storage a command names: 503 for the USB stick when none is inserted.
    private func root(_ location: Location) throws(StorageError) -> StorageRoot {
        guard let storage = storage(location) else {
            throw StorageError(StorageError.unavailableCode, "no USB stick is inserted")
        }
        return storage
    }

    /// `data.path` checked, or the root when it is absent or null.
    private static func path(in data: JSONValue) throws(StorageError) -> StoragePath {
        do throws(CommandFailure) {
            guard let text = try CommandFields.optionalString("path", in: data) else { return .root }
            return try StoragePath(validating: text)
        } catch {
            throw StorageError(error)
        }
    }

    /// The string member `key` of `data`, which must be there.
    private static func string(_ key: String, in data: JSONValue) throws(StorageError) -> String {
        switch data[key] {
        case .string(let text)?: return text
        case nil: throw StorageError(.badRequest, "\"" + key + "\" is missing")
        case let other?: throw StorageError(.badRequest, "\"" + key + "\" is " + other.typeName + ", expected a string")
        }
    }

    /// `data.files`: a non-empty array of at most `maxBatch` paths, each a string or the
    /// firmware's `{"path", "filename"}` object.
    private static func fileList(in data: JSONValue) throws(StorageError) -> [String] {
        guard let member = data["files"] else { throw StorageError(.badRequest, "\"files\" is missing") }
        guard case .array(let items) = member else {
            throw StorageError(.badRequest, "\"files\" is " + member.typeName + ", expected an array of paths")
        }
        if items.isEmpty { throw StorageError(.badRequest, "\"files\" is empty: name at least one file") }
        if items.count > maxBatch {
            throw StorageError(.badRequest, "\"files\" names " + String(items.count) + " files, over the limit of " + String(maxBatch) + " per command")
        }
        var files: [String] = []
        files.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            switch item {
            case .string(let text):
                files.append(text)
            case .object:
                // The firmware's shape: {"path": "/", "filename": "a.gcode"}.
                let at = "\"files\"[" + String(index) + "]"
                guard case .string(let name)? = item["filename"] else {
                    throw StorageError(.badRequest, at + " has no \"filename\" string")
                }
                switch item["path"] {
                case nil, .null?: files.append(name)
                case .string(let directory)?: files.append(directory + "/" + name)
                case let other?: throw StorageError(.badRequest, at + ".path is " + other.typeName + ", expected a string")
                }
            default:
                throw StorageError(.badRequest, "\"files\"[" + String(index) + "] is " + item.typeName + ", expected a path or {\"path\", \"filename\"}")
            }
        }
        return files
    }
}
