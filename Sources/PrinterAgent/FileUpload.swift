import AgentCore
import AgentPlatform
import CLibc

/// Why an upload was refused: the HTTP status and a sentence a person can act on.
struct LanUploadError: Error {
    let status: Int
    let message: String
}

/// One `POST /gcode_upload` (multipart fields `filename` and `gcode`, header `X-File-Length`
/// when the client sends it: Slicer Next does, an OrcaSlicer fork's LAN code does not),
/// streamed into a hidden temporary file in the storage root, never held in memory. At the
/// body's end the length is checked (when announced), the file synced and renamed into place
/// under its checked name (the same sandbox as every path of the protocol). Any failure removes the
/// temporary file and touches nothing else.
final class LanUpload: HttpFormReceiver {
    /// The longest `filename` field accepted, in bytes.
    static let maxNameBytes = 1024

    /// Called once when the upload is over: with the stored name, or nil when it failed.
    var onEnd: (String?) -> Void = { _ in }

    /// The file's size as X-File-Length announced it, when it did.
    private let announced: Int64?
    private let storage: StorageRoot
    private let inUse: (String) -> Bool
    private let logger: Logger
    private var temporary: (name: String, descriptor: Int32)?
    /// The `filename` field's bytes, once it came.
    private var nameField: [UInt8]?
    private var received: Int64 = 0
    private var sawFile = false
    private var failure: LanUploadError?

    /// Starts an upload into `storage` of the file whose size `announcedText` (X-File-Length)
    /// says, in a body of `bodyText` (Content-Length) bytes, either of them absent; refuses a
    /// malformed number and a file or body larger than the free space.
    init(announced announcedText: String?, body bodyText: String?, storage: StorageRoot,
         inUse: @escaping (String) -> Bool, logger: Logger) throws(LanUploadError) {
        announced = try Self.size(announcedText, header: "X-File-Length")
        let body = try Self.size(bodyText, header: "Content-Length")
        self.storage = storage
        self.inUse = inUse
        self.logger = logger
        do throws(StorageError) {
            let free = try storage.availableBytes()
            if let length = announced ?? body, length > free {
                throw StorageError(ReplyCode.insufficientStorage, "the file (\(length) bytes) is larger than the free space of \(storage.label) (\(free) bytes)")
            }
            temporary = try storage.createTemporary(id: LanCrypto.randomWord(12))
        } catch {
            throw LanUploadError(status: Self.status(of: error), message: error.message)
        }
    }

    /// A size header's value (nil when absent); a value that is not a number is refused.
    private static func size(_ text: String?, header: String) throws(LanUploadError) -> Int64? {
        guard let text else { return nil }
        guard text.utf8.count <= 15, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int64(text) else {
            throw LanUploadError(status: 400, message: "\(header) must be a size in bytes, not \"\(StoragePath.printable(text, maxBytes: 32))\"")
        }
        return length
    }

    func receive(field: String, filename: String?, offset: Int64, bytes: UnsafeRawBufferPointer) -> Bool {
        if failure != nil { return false }
        switch field {
        case "filename":
            let name = nameField ?? []
            guard name.count + bytes.count <= Self.maxNameBytes else {
                return refuse(400, "the filename field is longer than \(Self.maxNameBytes) bytes")
            }
            nameField = name + bytes
        case "gcode":
            if offset == 0 && received > 0 && !bytes.isEmpty {
                return refuse(400, "the form has more than one gcode part: send one file per upload")
            }
            sawFile = true
            return write(bytes)
        default:
            break  // other fields are not used
        }
        return true
    }

    func finish(malformed: Bool) -> HttpResponse {
        if failure == nil, malformed { _ = refuse(400, "the body is not a well-formed multipart form") }
        if failure == nil { install() }
        if let failure {
            logger.log(.warning, "LAN upload refused (\(failure.status)): \(failure.message)")
            discard()
            onEnd(nil)
            return LanService.refusal(failure.status, failure.message)
        }
        onEnd(storedName)
        return .json(200, "{\"code\":200,\"message\":\"success\"}")
    }

    func refuse(status: Int, message: String) -> HttpResponse {
        _ = refuse(status, message)
        return finish(malformed: false)
    }

    func abandon() {
        logger.log(.warning, "LAN upload abandoned after \(received) bytes: the client went away or went quiet")
        discard()
        onEnd(nil)
    }

    /// The name the file was stored under, once installed.
    private var storedName: String?

    /// Appends `bytes` to the temporary file.
    private func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let temporary else { return false }
        if let announced, received + Int64(bytes.count) > announced {
            return refuse(413, "the file is longer than X-File-Length announced (\(announced) bytes)")
        }
        var done = 0
        while done < bytes.count {
            let written = CLibc.write(temporary.descriptor, bytes.baseAddress.map { $0 + done }, bytes.count - done)
            if written < 0 {
                if agent_errno() == EINTR { continue }
                return refuseWrite(agent_errno())
            }
            done += written
        }
        received += Int64(bytes.count)
        return true
    }

    /// Checks the name and the length, syncs the file and renames it into place.
    private func install() {
        guard let temporary else { return }
        guard sawFile else { _ = refuse(400, "the form has no gcode part (the file)"); return }
        guard let nameBytes = nameField else { _ = refuse(400, "the form has no filename field (the name to store the file under)"); return }
        let name: String
        do throws(CommandFailure) {
            name = try StoragePath.validatedName(String(decoding: nameBytes, as: UTF8.self))
        } catch {
            _ = refuse(400, error.message)
            return
        }
        if name.utf8.first == UInt8(ascii: ".") {
            _ = refuse(400, "\(StoragePath.quoted(name)) is a hidden name: the file would never be listed")
            return
        }
        if let announced, received != announced {
            _ = refuse(400, "the file is shorter than X-File-Length announced: \(received) of \(announced) bytes")
            return
        }
        if inUse(storage.path + "/" + name) {
            _ = refuse(409, "\(StoragePath.quoted(name)) is being printed: upload it under another name")
            return
        }
        if fsync(temporary.descriptor) != 0 {
            _ = refuseWrite(agent_errno())
            return
        }
        do throws(StorageError) {
            try storage.install(temporary: temporary.name, as: name, in: StoragePath.root)
        } catch {
            _ = refuse(Self.status(of: error), error.message)
            return
        }
        close(temporary.descriptor)
        self.temporary = nil
        storedName = name
        logger.log(.info, "LAN upload stored \(StoragePath.quoted(name)) (\(received) bytes)")
    }

    /// Records the first failure; returns false (the rest of the body is dropped).
    private func refuse(_ status: Int, _ message: String) -> Bool {
        if failure == nil { failure = LanUploadError(status: status, message: message) }
        return false
    }

    /// A write or sync that failed with errno `code`.
    private func refuseWrite(_ code: Int32) -> Bool {
        if code == ENOSPC || code == EDQUOT { return refuse(507, "\(storage.label) is full") }
        return refuse(500, "writing the file failed: \(SystemError.describe(code))")
    }

    /// Closes and removes the temporary file, if it is still there.
    private func discard() {
        guard let temporary else { return }
        close(temporary.descriptor)
        storage.removeTemporary(temporary.name)
        self.temporary = nil
    }

    /// The HTTP status of a storage failure.
    private static func status(of error: StorageError) -> Int {
        (400...599).contains(error.code.rawValue) ? error.code.rawValue : 500
    }
}
