import AgentCore
import AgentJSON
import AgentPlatform

/// The printing commands (`print/*`, `tempature/query`, `fan/query`) and the print's
/// lifecycle: checks each command, hands it to the configured backend, and turns the
/// backend's events into reports through `PrintSupervisor`.
final class PrintService {
    /// How often the supervisor's pacing runs.
    static let tickMs: Int64 = 250
    /// The file name endings that can be printed (a `.gcode.3mf` through `PlateExtraction`).
    static let printableSuffixes = [".gcode", ".gco", ".g", SlicedArchive.suffix]

    private(set) var supervisor: PrintSupervisor
    /// The numbers given to the prints nobody numbered, kept in `taskRecord`.
    private var taskNumbers: TaskNumbering
    private let taskRecord: StateFile
    private let backend: (any PrinterBackend)?
    private let local: StorageRoot
    private let usbRoot: () -> String?
    private let config: AgentConfig
    private let outbox: Outbox
    private let logger: Logger
    private let reactor: Reactor
    /// The download of the file of a print from a URL, while it runs.
    private var download: FileDownload?
    /// The G-code taken out of a `.gcode.3mf`, from its extraction to the end of its print.
    private var extraction: PlateExtraction?

    /// Creates the service for `backend` (nil when no controller is configured), the local
    /// storage of `config` and the USB stick mounted at `usbRoot()`, on `reactor`'s clock and
    /// timers; its reports go to `outbox`. `kobra2` says whether the printer is a Kobra 2,
    /// whose clients read `z_comp` in `print/update`'s answer.
    init(backend: (any PrinterBackend)?, config: AgentConfig, kobra2: Bool, usbRoot: @escaping () -> String?,
         reactor: Reactor, outbox: Outbox, logger: Logger) {
        supervisor = PrintSupervisor(reportsZOffset: kobra2)
        taskRecord = StateFile(directory: config.stateDirectory, name: "last-task-id")
        taskNumbers = TaskNumbering(record: taskRecord.read())
        self.backend = backend
        self.reactor = reactor
        local = StorageRoot(path: config.storageLocal, label: "the local storage")
        self.usbRoot = usbRoot
        self.config = config
        self.outbox = outbox
        self.logger = logger
    }

    /// Registers the handlers. The router keeps this object alive.
    func register(in router: CommandRouter) {
        router.register("print", "start") { .answering($0, self.startPrint) }
        for action in ["pause", "resume", "stop", "cancel"] {
            router.register("print", action) { .answering($0, self.transition) }
        }
        router.register("print", "update") { .answering($0, self.update) }
        router.register("print", "query") { self.supervisor.query($0) }
        router.register("print", "getSliceParam") { .answering($0, self.sliceParameters) }
        router.register("print", "localtasktrans") { .answering($0, self.localTask) }
        router.register("tempature", "query") {
            PrintSupervisor.temperatureReport(self.supervisor.readings, action: "query", msgid: $0.msgid)
        }
        router.register("fan", "query") { PrintSupervisor.fanReport(self.supervisor.readings, action: "query", msgid: $0.msgid) }
    }

    /// Removes what a killed agent left half-downloaded, connects the backend and starts
    /// pacing the reports.
    func start() {
        for name in local.removeStaleTemporaries() { logger.log(.info, "removed a stale temporary file: " + name) }
        guard let backend else { return }
        backend.onEvent = { [unowned(unsafe) self] event in handle(event) }
        backend.start()
        reactor.every(Self.tickMs) { [self] in send(supervisor.tick(now: now)) }
    }

    /// Whether a controller is configured and connected, ready for commands.
    var controllerConnected: Bool { backend != nil && backend?.unavailableReason == nil }

    /// Whether the file at `absolutePath` is being printed (and so must not be deleted).
    func isPrinting(_ absolutePath: String) -> Bool { supervisor.job?.absolutePath == absolutePath }

    // MARK: Commands

    private func startPrint(_ command: Command) throws(CommandFailure) -> Report {
        if let job = supervisor.job {
            throw CommandFailure(.printActive, "a print task is still active (task " + job.taskId + ", " + job.filename + ")")
        }
        let backend = try readyBackend()
        let request = try PrintStartRequest.parse(command.data)
        guard Self.isPrintable(request.filename) else {
            throw CommandFailure(.badRequest, "only G-code files (.gcode, .gco, .g, .gcode.3mf) can be printed")
        }
        let plate = try SlicedArchive.requestedPlate(in: command.data)
        let relative = request.directory.isRoot ? request.filename : request.directory.relativeText + "/" + request.filename
        if let download = request.download { return startDownload(command, request, download, relative: relative) }
        let root = try storage(request.source)
        if SlicedArchive.isArchive(request.filename) { return try startExtraction(command, request, root, plate, relative: relative) }
        let shown = "/" + relative
        let file: PrintFile
        let metadata: GcodeMetadata
        do throws(StorageError) {
            let descriptor = try root.openFile(request.directory, name: request.filename)
            do throws(SystemError) {
                let reader = try PrintFileReader(descriptor: descriptor, name: shown)
                metadata = try GcodeWindow.read(descriptor: descriptor, name: shown).metadata
                let absolute = root.path + "/" + relative
                file = PrintFile(reader: reader, absolutePath: absolute,
                                 controllerPath: request.source == .local ? relative : absolute)
            } catch {
                throw StorageError(.init(StorageError.ioErrorCode, error.message))
            }
        } catch {
            throw error.failure
        }
        var job = PrintJob(taskId: request.taskId ?? newTaskId(), filename: request.filename,
                           directory: request.directory, source: request.source, absolutePath: file.absolutePath,
                           totalLayers: metadata.layerCount, estimatedSeconds: metadata.estimatedSeconds, now: now)
        job.localTask = request.localTask
        job.filamentLengthMm = metadata.filamentLengthMm
        job.sliceParameters = metadata.sliceParameters
        // The job begins before the backend gets the file: what the backend says as it
        // takes it (the first extrusion, the fan) is about this job.
        var reports = supervisor.begin(job, answering: command, now: now)
        if let failure = backend.startPrint(file) {
            supervisor.withdraw()
            throw failure
        }
        logger.log(.info, "printing " + request.source.rawValue + " " + shown + " (task " + job.taskId + ")")
        let answer = reports.removeFirst()
        follow(reports)
        return answer
    }

    /// Starts downloading the file of a print from a URL: answered `downloading`; the print
    /// starts once the file is verified and in place (`downloadEnded`).
    private func startDownload(_ command: Command, _ request: PrintStartRequest, _ source: PrintStartRequest.Download,
                               relative: String) -> Report {
        var job = PrintJob(taskId: request.taskId ?? newTaskId(), filename: request.filename,
                           directory: request.directory, source: .local, absolutePath: local.path + "/" + relative,
                           now: now)
        job.localTask = request.localTask
        logger.log(.info, "downloading " + source.url + " to /" + relative + " (task " + job.taskId + ")")
        var reports = supervisor.beginDownload(job, answering: command, now: now)
        let answer = reports.removeFirst()
        follow(reports)
        let fetch = FileDownload(FileDownload.Target(url: source.url, md5: source.md5, size: source.size,
                                                     destination: (request.directory, request.filename)),
                                 into: local, config: config, logger: logger)
        // The service owns the download until it ends or is stopped; these closures die with it.
        fetch.onProgress = { [unowned(unsafe) self] fraction in send(supervisor.downloadProgressed(fraction, now: now)) }
        fetch.onChecking = { [unowned(unsafe) self] in send(supervisor.checking(now: now)) }
        // `startPrint` checked the plate index already.
        let plate = (try? SlicedArchive.requestedPlate(in: command.data)) ?? nil
        fetch.onFinished = { [unowned(unsafe) self] result in downloadEnded(result, request, plate: plate, relative: relative) }
        download = fetch
        // Even a failure right away (a full disk) goes to the outbox after the answer.
        fetch.start(on: reactor)
        return answer
    }

    /// The download ended: hand the verified file to the backend (a `.gcode.3mf` to its
    /// extraction first, of `plate`), or fail the task.
    private func downloadEnded(_ result: Result<FileDownload.Verified, CommandFailure>, _ request: PrintStartRequest,
                               plate: Int?, relative: String) {
        download = nil
        switch result {
        case .failure(let failure):
            logger.log(.error, "download failed: " + failure.message)
            send(supervisor.fail(failure.code, failure.message))
        case .success(let file) where SlicedArchive.isArchive(request.filename):
            do throws(CommandFailure) {
                extract(try PlateExtraction(archive: file.descriptor, shown: "/" + relative, plate: plate, into: local))
            } catch {
                send(supervisor.fail(error.code, error.message))
            }
        case .success(let file):
            printPrepared(file.descriptor, path: file.path, controllerPath: relative, shown: "/" + relative,
                          metadata: nil, done: "downloaded and verified /" + relative + "; printing")
        }
    }

    /// Starts a print of plate `plate` (nil: the default) of a `.gcode.3mf` in `root`: the
    /// archive's directory is read and checked at once (what is wrong with it answers the
    /// command), the command is answered `checking`, and the plate's G-code is extracted from
    /// reactor turns, then printed.
    private func startExtraction(_ command: Command, _ request: PrintStartRequest, _ root: StorageRoot, _ plate: Int?,
                                 relative: String) throws(CommandFailure) -> Report {
        let opened = try PlateExtraction(root, request.directory, name: request.filename, shown: "/" + relative,
                                         plate: plate, into: local)
        var job = PrintJob(taskId: request.taskId ?? newTaskId(), filename: request.filename,
                           directory: request.directory, source: request.source, absolutePath: root.path + "/" + relative,
                           now: now)
        job.localTask = request.localTask
        job.phase = .checking
        var reports = supervisor.begin(job, answering: command, now: now)
        let answer = reports.removeFirst()
        follow(reports)
        extract(opened)
        return answer
    }

    /// Extracts the plate's G-code of `opened` (the job is `checking`), then prints it.
    private func extract(_ opened: PlateExtraction) {
        let plate = String(opened.plate), shown = opened.shown
        logger.log(.info, "extracting plate " + plate + " of " + shown)
        extraction = opened
        // The service owns the extraction until the print ends; this closure dies with it.
        opened.onFinished = { [unowned(unsafe) self] result in
            switch result {
            case .failure(let failure):
                logger.log(.error, "extraction failed: " + failure.message)
                send(supervisor.fail(failure.code, failure.message))
            case .success(let file):
                printPrepared(file.descriptor, path: file.path, controllerPath: file.name, shown: shown,
                              metadata: file.metadata, done: "extracted plate " + plate + "; printing")
            }
        }
        opened.start(on: reactor)
    }

    /// Hands the checked file open on `descriptor` (owned from here) to the backend, with
    /// `metadata` for the job, and logs `done`; or fails the task.
    private func printPrepared(_ descriptor: Int32, path: String, controllerPath: String, shown: String,
                               metadata: GcodeMetadata?, done: String) {
        do throws(CommandFailure) {
            let reader: PrintFileReader
            do {
                reader = try PrintFileReader(descriptor: descriptor, name: shown)
            } catch {
                throw CommandFailure(StorageError.ioErrorCode, error.message)
            }
            let backend = try readyBackend()
            // Preheating before the backend takes the file, as for a local print.
            send(supervisor.downloaded(now: now, metadata: metadata))
            if let failure = backend.startPrint(PrintFile(reader: reader, absolutePath: path, controllerPath: controllerPath)) {
                throw failure
            }
            logger.log(.info, done)
        } catch {
            send(supervisor.fail(error.code, error.message))
        }
    }

    private func transition(_ command: Command) throws(CommandFailure) -> Report {
        if command.action == "stop" || command.action == "cancel", download != nil || extraction != nil,
           try supervisor.checkTask(of: command).phase.isFetching {
            let stage = download != nil ? "download" : "extraction"
            download?.cancel()
            download = nil
            extraction?.cancel()
            logger.log(.info, "print stopped during its " + stage)
            follow(supervisor.fail(.cancelled, "the print was stopped during the " + stage + "; the partial file was removed"))
            return Report(type: "print", action: command.action, msgid: command.msgid, state: "stoped")
        }
        switch try supervisor.transition(for: command) {
        case .answer(let report):
            return report
        case .ask(let phase):
            let backend = try connectedBackend()
            // The phase is entered before the backend is asked: a backend that pauses at
            // once says `.paused` while it is asked, and that must not be overwritten.
            guard let previous = supervisor.job?.phase else { throw CommandFailure(.conflict, "no print is active") }
            let answer = supervisor.enter(phase, answering: command)
            let failure: CommandFailure?
            switch phase {
            case .pausing: failure = backend.pause()
            case .resuming: failure = backend.resume()
            default: failure = backend.stop()
            }
            if let failure {
                _ = supervisor.enter(previous, answering: command)
                throw failure
            }
            logger.log(.info, "print " + command.action + " asked")
            return answer
        }
    }

    /// `print/update`: the settings of the running print, or with no print its temperatures
    /// and fans (`PrintSupervisor.checkUpdate`).
    private func update(_ command: Command) throws(CommandFailure) -> Report {
        let settings = try PrintSettings.parse(command.data, hasAuxFan: config.controls.hasAuxFan(config.controller))
        try supervisor.checkUpdate(command, settings)
        if let failure = try connectedBackend().apply(settings) { throw failure }
        return supervisor.updated(settings, answering: command)
    }

    /// `print/getSliceParam`: what the slicer wrote about the active job's file.
    private func sliceParameters(_ command: Command) throws(CommandFailure) -> Report {
        let job = try supervisor.checkTask(of: command)
        return .success(command, data: .object(JSONObject([("taskid", .string(job.taskId)),
                                                           ("slice_param", job.sliceParameters)])))
    }

    /// `print/localtasktrans`: the client's `localtask` for the active job, echoed in its reports.
    private func localTask(_ command: Command) throws(CommandFailure) -> Report {
        let job = try supervisor.checkTask(of: command)
        guard let localTask = try CommandFields.optionalIdentifierString("localtask", in: command.data) else {
            throw CommandFailure(.badRequest, "\"localtask\" is missing")
        }
        supervisor.noteLocalTask(localTask)
        return .success(command, data: .object(JSONObject([("taskid", .string(job.taskId)), ("localtask", .string(localTask))])))
    }

    /// A task number no print had, kept so that a restarted agent does not give it again.
    private func newTaskId() -> String {
        let number = taskNumbers.next(wallClockSeconds: Clock.wallClockMs() / 1000)
        do {
            try taskRecord.write(taskNumbers.record)
        } catch {
            logger.log(.warning, "cannot keep the last task number in " + taskRecord.path + ": " + error.message)
        }
        return String(number)
    }

    // MARK: Helpers

    /// The reactor's monotonic time, in milliseconds.
    private var now: Int64 { reactor.now }

    /// Queues pushed reports.
    private func send(_ reports: [Report]) {
        for report in reports { outbox.send(report) }
        releaseEndedExtraction()
    }

    /// Queues reports that belong to the answer of the command being answered.
    private func follow(_ reports: [Report]) {
        for report in reports { outbox.follow(report) }
        releaseEndedExtraction()
    }

    /// Removes the G-code extracted for a print once the print is over (finished, stopped,
    /// failed): every end of a job is reported through `send` or `follow`.
    private func releaseEndedExtraction() {
        guard supervisor.job == nil, let extraction else { return }
        extraction.discard()
        self.extraction = nil
    }

    /// Whether `name` ends in one of `printableSuffixes`, in any ASCII case.
    static func isPrintable(_ name: String) -> Bool {
        let lowered = name.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        return printableSuffixes.contains { lowered.count >= $0.utf8.count && lowered.suffix($0.utf8.count).elementsEqual($0.utf8) }
    }

    private func handle(_ event: ControllerEvent) {
        if case .running(let file, let paused) = event {
            adopt(file, paused: paused)
            return
        }
        if case .asks(let action) = event {
            hostAsks(action)
            return
        }
        if let job = supervisor.job {
            switch event {
            case .finished: logger.log(.info, "print finished: " + job.filePath + " (task " + job.taskId + ")")
            case .stopped: logger.log(.info, "print stopped: " + job.filePath + " (task " + job.taskId + ")")
            case .failed(let reason): logger.log(.error, "print failed: " + job.filePath + ": " + reason)
            default: break
            }
        }
        send(supervisor.handle(event, now: now))
    }

    /// The board asks for `print/<action>` (pause, resume, cancel): decided and carried out
    /// as that command, its answer pushed; a request the print is already there for, or is
    /// not in a state for, is only logged (nobody waits for an answer).
    private func hostAsks(_ action: String) {
        let request = Command(type: "print", action: action)
        do throws(CommandFailure) {
            guard case .ask = try supervisor.transition(for: request) else {
                return logger.log(.info, "the board asked to " + action + " the print, which already does")
            }
            outbox.send(try transition(request))
        } catch {
            logger.log(.info, "the board asked to " + action + " the print: " + error.message)
        }
    }

    /// Follows a print the controller was running before the agent started. The controller
    /// names the file below the local storage, or by its absolute path (a USB stick).
    private func adopt(_ file: String, paused: Bool) {
        var source = PrintSource.local
        var root = local.path
        if let usb = usbRoot(), file.hasPrefix(usb + "/") {
            source = .udisk
            root = usb
        }
        let absolute = file.hasPrefix("/") ? file : root + "/" + file
        let relative = absolute.hasPrefix(root + "/") ? String(absolute.dropFirst(root.count + 1)) : file
        var components = relative.split(separator: "/").map(String.init)
        let name = components.popLast() ?? file
        let directory = components.isEmpty ? StoragePath.root
            : (try? StoragePath(validating: components.joined(separator: "/"))) ?? .root
        var job = PrintJob(taskId: newTaskId(), filename: name, directory: directory,
                           source: source, absolutePath: absolute, now: now)
        job.phase = paused ? .paused : .printing
        logger.log(.info, "following the print the controller was already running: " + file)
        send(supervisor.adopt(job, now: now))
    }

    /// Whether the controller is connected and can take a print now.
    var controllerReady: Bool { backend.map { $0.unavailableReason == nil } ?? false }

    /// The backend, when one is configured (whether or not it is connected now).
    private func connectedBackend() throws(CommandFailure) -> any PrinterBackend {
        guard let backend else {
            throw CommandFailure(.unavailable, "no motion controller is configured (set controller in the configuration)")
        }
        return backend
    }

    /// The backend, when it can take a print now.
    private func readyBackend() throws(CommandFailure) -> any PrinterBackend {
        let backend = try connectedBackend()
        if let reason = backend.unavailableReason { throw CommandFailure(.unavailable, reason) }
        return backend
    }

    private func storage(_ source: PrintSource) throws(CommandFailure) -> StorageRoot {
        switch source {
        case .local:
            return local
        case .udisk:
            guard let path = usbRoot() else { throw CommandFailure(.unavailable, "no USB stick is inserted") }
            return .usbStick(path)
        }
    }
}
