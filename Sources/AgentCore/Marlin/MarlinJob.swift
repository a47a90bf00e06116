/// One print streamed to a Marlin board: the file being read, where the streaming stands,
/// and the progress facts learnt from the file on the way (how far the reader is, the
/// layers from the slicer's layer comments, the remaining time from `M73 R`, the height from
/// the moves' Z words). It is the one
/// owner of those facts; `MarlinSession` tells the supervisor when one changes.
struct MarlinJob<File: PrintFileLines> {
    /// What the streaming of the job is doing.
    enum Mode: Equatable {
        /// File lines are sent as the board takes them.
        case streaming
        /// The pause G-code is out; `paused` follows once the board acknowledged everything.
        case pausing
        /// Nothing of the file is sent.
        case paused
        /// The resume G-code is out; streaming goes on once the board acknowledged it.
        case resuming
        /// The cancel G-code is out; the job ends once the board acknowledged everything.
        case stopping
    }

    /// What reading the file gave.
    enum Next: Equatable {
        /// A command to send (comment and blanks removed); the fan percentage it sets, if any.
        case command([UInt8], fanPercent: Int?)
        /// The file ended (or the job stopped reading it).
        case end
        /// The file cannot be read; the sentence says why.
        case failed(String)
    }

    /// The file, until its end (or a stop).
    private(set) var file: File?
    /// Where the streaming stands.
    var mode = Mode.streaming
    /// The Z offset applied with babysteps so far, in mm.
    var zOffset = 0.0
    /// Whether the job has extruded yet (the end of preheating).
    private(set) var extruded = false
    /// Whether the file switched to relative positioning (G91): its Z words are then no height.
    private var relative = false
    /// How far the job has got.
    private(set) var progress = PrintProgress(fraction: 0)
    /// The fraction last told, in thousandths: progress is told when this moves, so that a
    /// print of any length tells it at most a thousand times plus once per layer.
    private var toldPermille = 0

    /// A job streaming `file` from its start.
    init(file: File) { self.file = file }

    /// Stops reading the file: nothing more of it is sent.
    mutating func dropFile() { file = nil }

    /// The next command of the file (comments and blank lines skipped), learning layers, the
    /// slicer's remaining time and the first extrusion on the way; the events those facts
    /// raise go into `events`. At the end of the file the file is dropped and the progress is
    /// complete.
    mutating func next(events: inout [ControllerEvent]) -> Next {
        guard let file else { return .end }
        while true {
            let raw: ArraySlice<UInt8>
            do {
                guard let line = try file.nextLine() else {
                    self.file = nil
                    progress.fraction = 1
                    progress.remainingMinutes = 0
                    events.append(.progress(progress))
                    return .end
                }
                raw = line
            } catch {
                self.file = nil
                return .failed("cannot read the file: " + File.message(of: error))
            }
            var changed = learnLayer(raw)
            guard let command = MarlinLine.clean(raw) else {
                if changed { tell(file, &events) }
                continue
            }
            if let hint = GcodeStreamFacts.progressHint(command), let remaining = hint.remainingMinutes,
               remaining != progress.remainingMinutes {
                progress.remainingMinutes = remaining
                changed = true
            }
            if let absolute = GcodeStreamFacts.absolutePositioning(command) {
                relative = !absolute
            } else if !relative, let z = GcodeStreamFacts.moveHeight(command), z != progress.z {
                progress.z = z
                changed = true
            }
            if !extruded, GcodeStreamFacts.isExtrudingMove(command) {
                extruded = true
                events.append(.extruding)
            }
            if changed || Self.permille(of: file) != toldPermille { tell(file, &events) }
            return .command(Array(command), fanPercent: GcodeStreamFacts.fanPercent(command))
        }
    }

    /// Tells the progress, with the fraction of `file` read.
    private mutating func tell(_ file: File, _ events: inout [ControllerEvent]) {
        toldPermille = Self.permille(of: file)
        progress.fraction = file.size > 0 ? Double(file.position) / Double(file.size) : 1
        events.append(.progress(progress))
    }

    /// The thousandths of `file` read.
    private static func permille(of file: File) -> Int {
        file.size > 0 ? Int(file.position * 1000 / file.size) : 1000
    }

    /// Takes in a layer comment of `raw`; whether the layer or the layer count changed.
    private mutating func learnLayer(_ raw: ArraySlice<UInt8>) -> Bool {
        guard let mark = GcodeStreamFacts.layerChange(raw) else { return false }
        let before = (progress.currentLayer, progress.totalLayers)
        if let total = mark.totalLayers { progress.totalLayers = total }
        switch mark.start {
        case .number(let layer)?: progress.currentLayer = layer
        case .next?: progress.currentLayer = (progress.currentLayer ?? 0) + 1
        case nil: break
        }
        return before != (progress.currentLayer, progress.totalLayers)
    }
}
