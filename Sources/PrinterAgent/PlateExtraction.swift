import AgentCore
import AgentPlatform
import CLibc

/// The G-code of one plate of a `.gcode.3mf`, taken out of the archive for its print.
///
/// Opening it (`init`) reads and checks the archive's central directory, picks the plate
/// (`SlicedArchive.plateEntry`) and checks that the local storage has room for the plate's
/// G-code: what is wrong with the archive is known before the command is answered. `start`
/// then copies the G-code, inflated and checked (`ZipEntryExtractor`), into a hidden
/// temporary file in the local storage's root (`.agent-extract-<id>.gcode`), a chunk per
/// reactor turn, syncs it, reads its metadata and hands it on. The file is in the local
/// storage whichever storage the archive is on: Klipper's virtual SD card prints only files
/// under its directory, and a USB stick pulled out mid-print cannot take the G-code with it.
/// The file is removed when the extraction fails or is cancelled, by `discard()` once the
/// print is over, and at start-up (`StorageRoot.removeStaleTemporaries`).
final class PlateExtraction {
    /// The extracted G-code, ready to print.
    struct Extracted {
        /// Its absolute path.
        var path: String
        /// Its name in the local storage's root (how Klipper is told to print it).
        var name: String
        /// Its open descriptor, which the receiver owns.
        var descriptor: Int32
        /// Its slicer metadata (layers, estimated time, thumbnail).
        var metadata: GcodeMetadata
    }

    /// The extraction ended: the extracted file, or why not. Called once.
    var onFinished: (Result<Extracted, CommandFailure>) -> Void = { _ in }
    /// The plate being printed.
    let plate: Int

    /// The archive as clients name it ("/models/a.gcode.3mf").
    let shown: String
    /// The archive's descriptor until the extraction ends (-1 after).
    private var archive: Int32
    private let entry: ZipEntry
    private let dataOffset: Int64
    private let local: StorageRoot
    private var temporary: (name: String, descriptor: Int32)?
    private var extractor: ZipEntryExtractor?
    private var finished = false

    /// Opens `name` in `directory` of `root` (shown to clients as `shown`), and picks plate
    /// `plate` (nil: plate 1, or the only one) to be extracted into `local`. A failure says
    /// what is wrong with the archive, naming it.
    convenience init(_ root: StorageRoot, _ directory: StoragePath, name: String, shown: String, plate: Int?,
                     into local: StorageRoot) throws(CommandFailure) {
        let descriptor: Int32
        do throws(StorageError) {
            descriptor = try root.openFile(directory, name: name)
        } catch {
            throw error.failure
        }
        try self.init(archive: descriptor, shown: shown, plate: plate, into: local)
    }

    /// Takes over the archive open on `descriptor` (closed here on failure), shown to clients
    /// as `shown`, and picks plate `plate` (nil: plate 1, or the only one) to be extracted into
    /// `local`.
    init(archive descriptor: Int32, shown: String, plate: Int?, into local: StorageRoot) throws(CommandFailure) {
        archive = descriptor
        self.shown = shown
        self.local = local
        do throws(CommandFailure) {
            let zip = try ZipArchive(descriptor: descriptor, name: shown)
            let chosen = try SlicedArchive.plateEntry(in: zip.entries, plate: plate)
            self.plate = chosen.plate
            entry = chosen.entry
            dataOffset = try zip.dataOffset(of: chosen.entry)
            let available: Int64
            do throws(StorageError) {
                available = try local.availableBytes()
            } catch {
                throw error.failure
            }
            if entry.uncompressedSize > available {
                throw CommandFailure(.insufficientStorage, "plate " + String(chosen.plate) + "'s G-code needs "
                                     + String(entry.uncompressedSize) + " bytes and " + local.label + " has "
                                     + String(available) + " free")
            }
        } catch {
            _ = close(descriptor)
            throw PlateExtraction.named(shown, error)
        }
    }

    deinit { closeArchive() }

    /// Creates the temporary file and starts copying into it from reactor turns; the outcome
    /// comes through `onFinished`, never from within this call.
    func start(on reactor: Reactor) {
        do throws(CommandFailure) {
            do throws(StorageError) {
                temporary = try local.createTemporary(id: FileDownload.randomID(), kind: .extraction)
            } catch {
                throw error.failure
            }
            guard let temporary else { return }
            let copy = try ZipEntryExtractor(archive: archive, entry: entry, dataOffset: dataOffset,
                                             output: temporary.descriptor, name: "\"" + entry.name + "\"")
            extractor = copy
            // The extractor holds this object until it ends or `cancel()` stops it.
            copy.run(on: reactor) { [self] failure in
                if let failure { finish(.failure(Self.named(shown, failure))) } else { extracted() }
            }
        } catch {
            let failure = Self.named(shown, error)
            reactor.after(0) { [self] in finish(.failure(failure)) }
        }
    }

    /// Stops the extraction and removes what was written; no outcome follows.
    func cancel() {
        finished = true
        extractor?.cancel()
        extractor = nil
        closeArchive()
        discard()
    }

    /// Removes the extracted file (the print is over) and closes its descriptor if it is
    /// still this object's.
    func discard() {
        guard let temporary else { return }
        local.removeTemporary(temporary.name)
        if temporary.descriptor >= 0 { _ = close(temporary.descriptor) }
        self.temporary = nil
    }

    /// The G-code is written and checked: sync it, read its metadata, hand it on.
    private func extracted() {
        guard !finished, let temporary else { return }
        let path = local.path + "/" + temporary.name
        if fsync(temporary.descriptor) != 0 {
            finish(.failure(CommandFailure(StorageError.ioErrorCode, "cannot write the G-code of " + shown + ": "
                                           + SystemError.describe(agent_errno()))))
            return
        }
        let metadata: GcodeMetadata
        do {
            metadata = try GcodeWindow.read(descriptor: temporary.descriptor, name: shown).metadata
        } catch {
            finish(.failure(CommandFailure(StorageError.ioErrorCode, error.message)))
            return
        }
        // The receiver owns the descriptor now; the file stays until `discard()`.
        self.temporary = (temporary.name, -1)
        finished = true
        extractor = nil
        closeArchive()
        onFinished(.success(Extracted(path: path, name: temporary.name, descriptor: temporary.descriptor,
                                      metadata: metadata)))
    }

    private func finish(_ result: Result<Extracted, CommandFailure>) {
        guard !finished else { return }
        finished = true
        extractor = nil
        closeArchive()
        discard()
        onFinished(result)
    }

    /// Closes the archive (a USB stick is not held open for the whole print).
    private func closeArchive() {
        if archive >= 0 { _ = close(archive) }
        archive = -1
    }

    /// `failure` with the archive's name in front of its message.
    private static func named(_ shown: String, _ failure: CommandFailure) -> CommandFailure {
        CommandFailure(failure.code, "cannot print " + StoragePath.quoted(shown) + ": " + failure.message)
    }
}
