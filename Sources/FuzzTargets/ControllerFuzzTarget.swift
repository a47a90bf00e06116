import AgentCore
import AgentJSON

/// The fuzz target over what the motion controller sends, and the G-code the agent
/// streams to it. The whole input is given, in turn, to:
/// - the Marlin path: cut into lines (`ByteFrameSplitter`), each classified by
///   `MarlinReply` and fed to a `MarlinSender` (a line starting with `>` is instead a
///   command the host sends, a `~` line lets 40 s pass), and read as a file line by
///   `MarlinLine` and `GcodeStreamFacts`;
/// - the Klipper path: cut into 0x03-terminated frames, each handled by a `KlipperClient`
///   with requests pending, its merged `KlipperStatus` read as the backend reads it;
/// - the JSON codec and the G-code header/footer parser (`GcodeMetadata`).
/// What the paths learn drives a `PrintWatch`.
///
/// Oracle: every line the sender writes is a well-formed numbered line; a lost connection
/// leaves no Klipper request pending; JSON prints as JSON that parses back to the same value;
/// the supervisor's reports pass `PublicationCheck`.
public enum ControllerFuzzTarget {
    /// Runs one input.
    public static func run(_ bytes: [UInt8]) {
        var watch = PrintWatch()
        marlin(bytes, &watch)
        klipper(bytes, &watch)
        json(bytes)
        _ = GcodeMetadata.parse(head: bytes, tail: Array(bytes.suffix(bytes.count / 2)))
        watch.query()
    }

    /// The bytes pushed in two chunks, cut a third of the way in, as a port may deliver them.
    private static func frames(of bytes: [UInt8], _ splitter: ByteFrameSplitter) -> [ByteFrameSplitter.Frame] {
        var splitter = splitter
        var frames: [ByteFrameSplitter.Frame] = []
        let cut = bytes.count / 3
        splitter.push(Array(bytes[..<cut])) { frames.append($0) }
        splitter.push(Array(bytes[cut...])) { frames.append($0) }
        return frames
    }

    private static func marlin(_ bytes: [UInt8], _ watch: inout PrintWatch) {
        var sender = MarlinSender()
        var now: Int64 = 0
        var actions = sender.restartNumbering(now: now)
        var lineNumber = 0
        for frame in frames(of: bytes, .lines(maxLength: 1024)) {
            let line = frame.bytes
            now += 10
            lineNumber += 1
            streamed(line[...], lineNumber: lineNumber, &watch)
            if line.first == UInt8(ascii: ">") {
                actions += sender.send(Array(line.dropFirst()), now: now)
            } else if line == [UInt8(ascii: "~")] {
                now += 40_000
                actions += sender.tick(now: now)
            } else {
                actions += sender.received(line, now: now)
            }
            for action in actions { act(on: action, &sender, now: now, &watch) }
            actions.removeAll()
        }
    }

    /// What the sender asked for, checked and done as `MarlinBackend` does it.
    private static func act(on action: MarlinSender.Action, _ sender: inout MarlinSender, now: Int64, _ watch: inout PrintWatch) {
        switch action {
        case .write(let line):
            checkNumbered(line)
        case .readings(let readings):
            watch.handle(.readings(readings))
        case .hostAction(let text):
            if text == "pause" { watch.handle(.paused) } else if text == "resume" { watch.handle(.resumed) }
        case .controllerReset:
            for next in sender.restartNumbering(now: now) { act(on: next, &sender, now: now, &watch) }
        case .failed(let reason):
            watch.handle(.failed(reason))
        case .capability, .log:
            break
        }
    }

    /// A written line must be `N<number> <command>*<checksum>\n` with the XOR checksum right.
    private static func checkNumbered(_ line: [UInt8]) {
        let shown = FuzzInput.text(line)
        guard line.first == UInt8(ascii: "N"), line.last == UInt8(ascii: "\n"),
              let star = line.lastIndex(of: UInt8(ascii: "*")) else {
            return FuzzCheck.require(false, "the sender wrote a line that is not numbered: \(shown)")
        }
        let checksum = line[..<star].reduce(UInt8(0)) { $0 ^ $1 }
        FuzzCheck.require(Int(FuzzInput.text(Array(line[(star + 1)..<(line.count - 1)]))) == Int(checksum),
                          "the sender wrote a wrong checksum: \(shown)")
        FuzzCheck.require(!line[..<(line.count - 1)].contains(UInt8(ascii: "\n")), "the sender wrote a line break inside a line: \(shown)")
    }

    /// The line read as a line of the file being streamed, as `MarlinBackend` reads it.
    private static func streamed(_ raw: ArraySlice<UInt8>, lineNumber: Int, _ watch: inout PrintWatch) {
        if let mark = GcodeStreamFacts.layerChange(raw) {
            var layer: Int? = nil
            if case .number(let number)? = mark.start { layer = number }
            watch.handle(.progress(PrintProgress(fraction: Double(lineNumber) / 1000, currentLayer: layer,
                                                 totalLayers: mark.totalLayers)))
        }
        guard let command = MarlinLine.clean(raw) else { return }
        if let hint = GcodeStreamFacts.progressHint(command) {
            watch.handle(.progress(PrintProgress(fraction: Double(hint.percent ?? 0) / 100,
                                                 remainingMinutes: hint.remainingMinutes)))
        }
        if GcodeStreamFacts.isExtrudingMove(command) { watch.handle(.extruding) }
        if let fan = GcodeStreamFacts.fanPercent(command) { watch.handle(.readings(ControllerReadings(fanSpeedPercent: fan))) }
        _ = GcodeStreamFacts.isTemperatureWait(command)
        checkNumbered(MarlinLine.numbered(lineNumber, Array(command)))
    }

    private static func klipper(_ bytes: [UInt8], _ watch: inout PrintWatch) {
        var client = KlipperClient()
        let requests: [KlipperRequest] = [.identify, .subscribe, .script("G28"), .pause, .resume, .cancel]
        for request in requests {
            let frame = client.request(request)
            FuzzCheck.require(frame.last == 0x03 && (try? JSONCodec.parse(Array(frame.dropLast()))) != nil,
                              "a Klipper request is not one JSON frame: \(FuzzInput.text(frame))")
        }
        for frame in frames(of: bytes, ByteFrameSplitter(delimiter: 0x03, maxLength: 65536)) {
            for event in client.handle(frame: frame.bytes) where event == .statusChanged {
                let status = client.status
                watch.handle(.readings(status.readings))
                watch.handle(.progress(PrintProgress(fraction: status.progress ?? 0, currentLayer: status.currentLayer,
                                                     totalLayers: status.totalLayers)))
                _ = (status.printState, status.filename, status.printDurationSeconds, status.totalDurationSeconds,
                     status.filamentUsedMm, status.printMessage, status.isActive, status.webhooksState, status.webhooksMessage)
                if let file = status.filename { _ = try? KlipperGcode.printFile(file) }
            }
        }
        _ = client.connectionLost()
        FuzzCheck.require(client.pendingCount == 0, "requests still pending after the connection was lost")
    }

    /// Parsing, printing and parsing again gives the same value (a non-finite number, which
    /// JSON cannot write, is printed as null).
    private static func json(_ bytes: [UInt8]) {
        guard let value = try? JSONCodec.parse(bytes) else { return }
        let text = JSONCodec.print(value)
        guard let again = try? JSONCodec.parse(text) else {
            return FuzzCheck.require(false, "printed JSON does not parse: \(text)")
        }
        FuzzCheck.require(again == value || !isFinite(value), "JSON changed when printed: \(text)")
    }

    private static func isFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number): return number.isFinite
        case .array(let items): return items.allSatisfy(isFinite)
        case .object(let object): return object.members.allSatisfy { isFinite($0.value) }
        default: return true
        }
    }
}
