import AgentCore
import AgentPlatform
import CLibc

/// Why an upload was refused: the HTTP status and a sentence a person can act on.
struct UploadError: Error {
    let status: Int
    let message: String
}

/// A file that an upload stored.
struct StoredUpload {
    /// Its directory below the storage root.
    let directory: StoragePath
    /// Its name.
    let name: String
    /// Its size in bytes.
    let size: Int64
    /// The form's text fields (`UploadForm.textFields`) as they came.
    let fields: [String: String]

    /// Its path below the storage root, without a leading `/`.
    var relativePath: String { directory.isRoot ? name : directory.relativeText + "/" + name }
}

/// The shape of an upload form: which part is the file and where its name and directory come from.
struct UploadForm {
    /// The file part's field name.
    let fileField: String
    /// The text field naming the file; nil: the file part's own `filename`.
    let nameField: String?
    /// The text field naming its directory below the storage root, when the form has one.
    let directoryField: String?
    /// The text fields kept (the name and directory fields among them); others are ignored.
    let textFields: [String]
    /// Who uploads, for the log.
    let label: String

    /// The LAN upload, `POST /gcode_upload`: fields `filename` and `gcode`.
    static let lan = UploadForm(fileField: "gcode", nameField: "filename", directoryField: nil,
                                textFields: ["filename"], label: "LAN upload")
}

/// One upload form (`UploadForm`: the LAN `POST /gcode_upload`, or the OctoPrint API's
/// `POST /api/files/local`; header `X-File-Length` when the client sends it: Slicer Next
/// does, an OrcaSlicer fork's LAN code does not), streamed into a hidden temporary file in
/// the storage root, never held in memory. At the body's end the length is checked (when
/// announced), the file synced and renamed into place under its checked name and directory
/// (the same sandbox as every path of the protocol; a missing directory is made). Any failure removes the temporary file
/// and touches nothing else.
final class FileUpload: HttpFormReceiver {
    /// The longest text field accepted, in bytes.
    static let maxFieldBytes = 1024

    /// Called once when the upload is over, with the stored file or why it failed: the answer.
    var onEnd: (Result<StoredUpload, UploadError>) -> HttpResponse = { _ in .text(500, "no answer\n") }

    private let form: UploadForm
    /// The file's size as X-File-Length announced it, when it did.
    private let announced: Int64?
    private let storage: StorageRoot
    private let inUse: (String) -> Bool
    private let logger: Logger
    private var temporary: (name: String, descriptor: Int32)?
    /// The text fields' bytes as they came.
    private var fields: [String: [UInt8]] = [:]
    /// The file part's own `filename`.
    private var partName: String?
    private var received: Int64 = 0
    private var sawFile = false
    private var failure: UploadError?

    /// Starts an upload of `form` into `storage` of the file whose size `announcedText`
    /// (X-File-Length) says, in a body of `bodyText` (Content-Length) bytes, either of them
    /// absent; refuses a malformed number and a file or body larger than the free space.
    init(_ form: UploadForm, announced announcedText: String?, body bodyText: String?, storage: StorageRoot,
         inUse: @escaping (String) -> Bool, logger: Logger) throws(UploadError) {
        self.form = form
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
            throw UploadError(status: Self.status(of: error), message: error.message)
        }
    }

    /// A size header's value (nil when absent); a value that is not a number is refused.
    private static func size(_ text: String?, header: String) throws(UploadError) -> Int64? {
        guard let text else { return nil }
        guard text.utf8.count <= 15, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let length = Int64(text) else {
            throw UploadError(status: 400, message: "\(header) must be a size in bytes, not \"\(StoragePath.printable(text, maxBytes: 32))\"")
        }
        return length
    }

    func receive(field: String, filename: String?, offset: Int64, bytes: UnsafeRawBufferPointer) -> Bool {
        if failure != nil { return false }
        if field == form.fileField {
            if offset == 0 && received > 0 && !bytes.isEmpty {
                return refuse(400, "the form has more than one \(form.fileField) part: send one file per upload")
            }
            if partName == nil { partName = filename }
            sawFile = true
            return write(bytes)
        }
        guard form.textFields.contains(field) else { return true }  // other fields are not used
        let value = fields[field] ?? []
        guard value.count + bytes.count <= Self.maxFieldBytes else {
            return refuse(400, "the \(field) field is longer than \(Self.maxFieldBytes) bytes")
        }
        fields[field] = value + bytes
        return true
    }

    func finish(malformed: Bool) -> HttpResponse {
        if failure == nil, malformed { _ = refuse(400, "the body is not a well-formed multipart form") }
        let stored = failure == nil ? install() : nil
        guard let stored else {
            let failure = failure ?? UploadError(status: 500, message: "the upload failed")
            logger.log(.warning, "\(form.label) refused (\(failure.status)): \(failure.message)")
            discard()
            return onEnd(.failure(failure))
        }
        return onEnd(.success(stored))
    }

    func refuse(status: Int, message: String) -> HttpResponse {
        _ = refuse(status, message)
        return finish(malformed: false)
    }

    func abandon() {
        logger.log(.warning, "\(form.label) abandoned after \(received) bytes: the client went away or went quiet")
        discard()
        _ = onEnd(.failure(UploadError(status: 400, message: "the client went away")))
    }

    /// The text field `name`, when it came.
    private func field(_ name: String?) -> String? {
        name.flatMap { fields[$0] }.map { String(decoding: $0, as: UTF8.self) }
    }

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

    /// Checks the name, the directory and the length, syncs the file and renames it into
    /// place; nil after a refusal.
    private func install() -> StoredUpload? {
        guard let temporary else { return nil }
        guard sawFile else { _ = refuse(400, "the form has no \(form.fileField) part (the file)"); return nil }
        guard let given = form.nameField == nil ? partName : field(form.nameField) else {
            _ = refuse(400, form.nameField.map { "the form has no \($0) field (the name to store the file under)" }
                ?? "the \(form.fileField) part has no filename (the name to store the file under)")
            return nil
        }
        let name: String
        let directory: StoragePath
        do throws(CommandFailure) {
            name = try StoragePath.validatedName(given)
            let path = field(form.directoryField) ?? ""
            directory = path.isEmpty || path == "/" ? .root : try StoragePath(validating: path)
        } catch {
            _ = refuse(400, error.message)
            return nil
        }
        if let hidden = (directory.components + [name]).first(where: { $0.utf8.first == UInt8(ascii: ".") }) {
            _ = refuse(400, "\(StoragePath.quoted(hidden)) is a hidden name: the file would never be listed")
            return nil
        }
        if let announced, received != announced {
            _ = refuse(400, "the file is shorter than X-File-Length announced: \(received) of \(announced) bytes")
            return nil
        }
        let stored = StoredUpload(directory: directory, name: name, size: received,
                                  fields: fields.mapValues { String(decoding: $0, as: UTF8.self) })
        if inUse(storage.path + "/" + stored.relativePath) {
            _ = refuse(409, "\(StoragePath.quoted(name)) is being printed: upload it under another name")
            return nil
        }
        if fsync(temporary.descriptor) != 0 {
            _ = refuseWrite(agent_errno())
            return nil
        }
        do throws(StorageError) {
            // A folder that is not there yet is made, as OctoPrint does.
            if !directory.isRoot { try storage.makeDirectories(directory) }
            try storage.install(temporary: temporary.name, as: name, in: directory)
        } catch {
            _ = refuse(Self.status(of: error), error.message)
            return nil
        }
        close(temporary.descriptor)
        self.temporary = nil
        logger.log(.info, "\(form.label) stored \(StoragePath.quoted("/" + stored.relativePath)) (\(received) bytes)")
        return stored
    }

    /// Records the first failure; returns false (the rest of the body is dropped).
    private func refuse(_ status: Int, _ message: String) -> Bool {
        if failure == nil { failure = UploadError(status: status, message: message) }
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
