import AgentCore
import AgentJSON
import AgentPlatform
import CLibc

/// `ota/update`: downloads the image into the state directory, verifies its size, MD5 and
/// (with `ota_public_key`) its detached signature, records what is being installed, runs
/// the configured installer watched by the reactor, and reports each step. After the reboot
/// the record tells the new agent to report whether the update took, once. Nothing is ever
/// installed from a file that failed a check.
final class OtaService {
    /// The record of the update being installed, in the state directory.
    static let recordName = "ota-pending.json"
    /// The largest detached signature accepted.
    static let maxSignatureBytes: Int64 = 4096
    /// Output lines of the installer kept for a failure message.
    static let keptLines = 3

    private let config: AgentConfig
    private let outbox: Outbox
    private let reactor: Reactor
    private let logger: Logger
    private let state: StorageRoot
    private let isPrinting: () -> Bool
    private let runningVersion: () -> String?
    private var update: Update?
    /// The update `ota/update` announced with `ota_install = on_request`, until it is installed.
    private var offer: OtaRequest?

    /// One update on its way: what was asked, and the piece at work now.
    private final class Update {
        let request: OtaRequest
        let msgid: String?
        var download: FileDownload?
        var signature: HttpDownload?
        var installer: Subprocess?
        var lastLines: [String] = []
        var lastReportMs: Int64 = Int64.min / 2
        var lastPercent = -1

        init(_ request: OtaRequest, msgid: String?) {
            self.request = request
            self.msgid = msgid
        }
    }

    /// The service for `config`, on `reactor`, reporting to `outbox`; `isPrinting` says
    /// whether a print is active and `runningVersion` reads the firmware version now.
    init(config: AgentConfig, reactor: Reactor, outbox: Outbox, logger: Logger, isPrinting: @escaping () -> Bool,
         runningVersion: @escaping () -> String?) {
        self.config = config
        self.reactor = reactor
        self.outbox = outbox
        self.logger = logger
        self.isPrinting = isPrinting
        self.runningVersion = runningVersion
        state = StorageRoot(path: config.stateDirectory, label: "the state directory")
    }

    /// The update on its way, if any: its version and its last reported percentage (0 before any).
    var pending: (version: String, percent: Int)? {
        update.map { ($0.request.version, max(0, $0.lastPercent)) }
    }

    /// The version of the update available to install (`ota_install = on_request`), if any.
    var available: String? { offer?.version }

    /// The version this agent installed, active after the reboot; nil before any.
    private(set) var installed: String?

    /// Registers `ota/update` and `ota/install`. The router keeps this object alive.
    func register(in router: CommandRouter) {
        router.register("ota", "update") { self.start($0) }
        router.register("ota", "install") { self.installAvailable($0) }
    }

    /// Removes images left by a killed agent and reports the outcome of the update installed
    /// before the reboot, once.
    func start() {
        for name in state.removeStaleTemporaries() { logger.log(.info, "removed an unfinished firmware download: " + name) }
        followUpAfterReboot()
    }

    // MARK: Steps

    private func start(_ command: Command) -> Report {
        do throws(CommandFailure) {
            let request = try OtaRequest.parse(command.data)
            guard let installer = config.otaInstaller, !installer.isEmpty else {
                throw CommandFailure(.unavailable, "no firmware installer is configured (ota_installer)")
            }
            if update != nil { throw CommandFailure(.conflict, "a firmware update is already under way") }
            guard config.otaInstall == .onRequest else { return try begin(request, msgid: command.msgid, action: "update") }
            offer = request
            logger.log(.info, "firmware " + request.version + " is available: it is installed when ota/install asks (ota_install = on_request)")
            return report("available", msgid: command.msgid, data: [("firmware_version", .string(request.version)),
                                                                     ("firmware_name", .string(request.name))])
        } catch {
            return .failure(type: "ota", action: "update", msgid: command.msgid, error)
        }
    }

    /// `ota/install`: installs the update `ota/update` left available (`ota_install = on_request`).
    private func installAvailable(_ command: Command) -> Report {
        do throws(CommandFailure) {
            guard let request = offer else {
                throw CommandFailure(.conflict, config.otaInstall == .onRequest
                    ? "no firmware update is available to install (ota/update announces one)"
                    : "no firmware update waits to be installed: with ota_install = now, ota/update installs at once")
            }
            if update != nil { throw CommandFailure(.conflict, "a firmware update is already under way") }
            logger.log(.info, "firmware " + request.version + ": installing the available update, as ota/install asks")
            return try begin(request, msgid: command.msgid, action: "install")
        } catch {
            return .failure(type: "ota", action: "install", msgid: command.msgid, error)
        }
    }

    /// Starts downloading `request`'s image unless a print forbids it; the answer is
    /// `downloading`, as `action`'s report.
    private func begin(_ request: OtaRequest, msgid: String?, action: String) throws(CommandFailure) -> Report {
        if isPrinting(), !(request.force && config.otaAllowForce) {
            throw CommandFailure(.printActive, request.force
                ? "a print is active and the configuration does not allow force_update (ota_allow_force)"
                : "a print is active: the update waits until it ends (or send force_update)")
        }
        if mkdir(config.stateDirectory, 0o700) != 0, agent_errno() != EEXIST {
            throw CommandFailure(StorageError.ioErrorCode, "cannot create " + config.stateDirectory + ": " + SystemError.describe(agent_errno()))
        }
        let current = Update(request, msgid: msgid)
        update = current
        let target = FileDownload.Target(url: request.url, md5: request.md5, size: request.size, destination: nil,
                                         needsSHA256: config.otaPublicKey != nil)
        let download = FileDownload(target, into: state, config: config, logger: logger)
        download.onProgress = { [unowned(unsafe) self] fraction in progress("downloading", "progress", Int(fraction * 100)) }
        download.onFinished = { [unowned(unsafe) self] result in downloaded(result) }
        current.download = download
        logger.log(.info, "firmware " + request.version + ": downloading " + request.url)
        // Even a failure right away goes to the outbox after the answer.
        download.start(on: reactor)
        return report("downloading", action: action, msgid: msgid, data: [("progress", .int(0)),
                                                                          ("firmware_version", .string(request.version))])
    }

    private func downloaded(_ result: Result<FileDownload.Verified, CommandFailure>) {
        switch result {
        case .failure(let failure):
            fail("download-failed", failure.message)
        case .success(let image):
            logger.log(.info, "firmware " + (update?.request.version ?? "") + ": image downloaded and verified")
            outbox.send(report("download-success", data: [("progress", .int(100))]))
            if let keyFile = config.otaPublicKey {
                checkSignature(of: image, keyFile: keyFile)
            } else {
                install(image)
            }
        }
    }

    /// Fetches `<url>.sig` into the state directory and verifies it against the image's SHA-256.
    private func checkSignature(of image: FileDownload.Verified, keyFile: String) {
        guard let current = update else { return }
        let url = current.request.url + ".sig"
        let verifier: SignatureVerifier
        let file: (name: String, descriptor: Int32)
        let transfer: HttpDownload
        do throws(SystemError) {
            verifier = try SignatureVerifier(publicKeyFile: keyFile)
            do {
                file = try state.createTemporary(id: "signature")
            } catch {
                throw SystemError(call: "create", message: error.message)
            }
            var options = HttpDownload.Options(url: url)
            options.caFile = config.downloadCAFile
            options.lowSpeedTimeSeconds = config.downloadStallSeconds
            options.maxBytes = Self.maxSignatureBytes
            transfer = try HttpDownload(options, descriptor: file.descriptor)
        } catch {
            _ = close(image.descriptor)
            fail("update-failed", "cannot check the image's signature: " + error.message)
            return
        }
        // The closure holds no `Update`: the update holds the transfer, which holds this.
        transfer.onFinished = { [unowned(unsafe) self] outcome in
            let signature = Self.contents(file.descriptor)
            state.removeTemporary(file.name)
            _ = close(file.descriptor)
            switch outcome {
            case .failed(let failure):
                _ = close(image.descriptor)
                fail("update-failed", "no signature for the image at " + url + ": " + failure.message)
            case .completed where !verifier.verify(sha256: image.sha256, signature: signature):
                _ = close(image.descriptor)
                fail("update-failed", "the image's signature does not verify with " + verifier.keyType + " key " + keyFile
                     + ": it was not installed")
            case .completed:
                logger.log(.info, "firmware signature verified (" + verifier.keyType + ")")
                install(image)
            }
        }
        current.signature = transfer
        transfer.start(on: reactor)
    }

    /// Records the update, then runs the installer on the verified image.
    private func install(_ image: FileDownload.Verified) {
        _ = close(image.descriptor)
        guard let current = update, let template = config.otaInstaller else { return }
        let record = OtaRecord(version: current.request.version, previousVersion: runningVersion(),
                               name: current.request.name, bootId: Self.bootId())
        do throws(SystemError) {
            try recordFile.write(record.text)
            let installer = try Subprocess(template: template, file: image.path)
            installer.onLine = { [unowned(unsafe) self] line in installerSaid(line) }
            installer.onExit = { [unowned(unsafe) self] status in installerExited(status) }
            current.installer = installer
            logger.log(.info, "firmware " + current.request.version + ": installing with " + template)
            outbox.send(report("updating", data: [("current_progress", .int(0))]))
            installer.start(on: reactor)
        } catch {
            removeRecord()
            fail("update-failed", "the installer could not start: " + error.message)
        }
    }

    private func installerSaid(_ line: String) {
        guard let current = update else { return }
        logger.log(.debug, "installer: " + line)
        current.lastLines.append(line)
        if current.lastLines.count > Self.keptLines { current.lastLines.removeFirst() }
        if let percent = InstallerProgress.percent(in: line) { progress("updating", "current_progress", percent) }
    }

    private func installerExited(_ status: Int32) {
        guard let current = update else { return }
        current.download?.discard()
        if status == 0 {
            logger.log(.info, "firmware " + current.request.version + " installed; it is active after the reboot")
            outbox.send(report("update-success", data: [("current_progress", .int(100)),
                                                     ("firmware_version", .string(current.request.version))]))
            installed = current.request.version
            if offer == current.request { offer = nil }
            update = nil
        } else {
            removeRecord()
            let said = current.lastLines.last.map { ": " + $0 } ?? ""
            fail("update-failed", "the installer exited with status " + String(status) + said)
        }
    }

    /// After a reboot: the outcome of the update recorded before it, reported once.
    private func followUpAfterReboot() {
        guard let bytes = recordFile.read() else { return }
        do throws(CommandFailure) {
            let record = try OtaRecord.parse(bytes)
            if record.bootId == Self.bootId() {
                logger.log(.info, "firmware " + record.version + " waits for a reboot to be active")
                return
            }
            let report = record.followUp(runningVersion: runningVersion())
            logger.log(report.code == .ok ? .info : .error, "after the reboot: " + report.state + " " + report.message)
            outbox.send(report)
        } catch {
            logger.log(.warning, "ignoring a damaged " + recordFile.path + ": " + error.message)
        }
        removeRecord()
    }

    // MARK: Helpers

    private func fail(_ state: String, _ message: String) {
        guard let current = update else { return }
        logger.log(.error, "firmware " + current.request.version + ": " + message)
        current.download?.discard()
        update = nil
        outbox.send(Report(type: "ota", action: "update", msgid: nil, state: state, code: .controllerFailed, message: message,
                       data: .object(JSONObject([("firmware_version", .string(current.request.version))]))))
    }

    /// A paced progress report (`downloading` with `progress`, `updating` with
    /// `current_progress`): at most once a second, and only when the percentage moved.
    private func progress(_ state: String, _ key: String, _ percent: Int) {
        guard let current = update else { return }
        let now = reactor.now
        guard percent != current.lastPercent, now - current.lastReportMs >= 1_000 else { return }
        current.lastPercent = percent
        current.lastReportMs = now
        outbox.send(report(state, data: [(key, .int(percent))]))
    }

    private func report(_ state: String, action: String = "update", msgid: String? = nil, data: [(String, JSONValue)]) -> Report {
        Report(type: "ota", action: action, msgid: msgid, state: state, data: .object(JSONObject(data)))
    }

    private func removeRecord() { recordFile.remove() }

    /// The record of an installed update, read after the reboot.
    private var recordFile: StateFile { StateFile(directory: config.stateDirectory, name: Self.recordName) }

    /// The kernel's id of this boot.
    private static func bootId() -> String {
        let bytes = (try? FileReader.read("/proc/sys/kernel/random/boot_id", limit: 64)) ?? []
        return String(decoding: bytes.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// The bytes of a small file read from its descriptor.
    private static func contents(_ descriptor: Int32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(maxSignatureBytes))
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(bytes[0..<count]) : []
    }
}
