/// One print from the virtual SD card: the file being read and the counters that
/// `print_stats` and `virtual_sdcard` report.
final class PrintJob {
    /// How a print ended.
    enum Ending {
        case complete, cancelled, error
    }

    /// The name `print_stats.filename` reports: as given, relative to the SD card, or the
    /// absolute path of a file elsewhere (a USB stick).
    let filename: String
    /// The absolute path (`virtual_sdcard.file_path` while the file is open).
    let path: String
    /// The file.
    let reader: GcodeFileReader
    /// When the print started, on the loop's clock.
    let startedAt: Double
    /// Set when a pause is asked for while a command of the print runs.
    var pauseRequested = false
    /// How the print ended; nil while it is printing or paused.
    private(set) var ending: Ending?
    private var endedAt: Double?
    private let extrusionAtStart: Double
    private var extrusionAtEnd: Double?
    /// When `print_duration` started counting (the current stretch), nil while not counting.
    private var countingSince: Double?
    private var countedBefore = 0.0
    /// Whether filament has been used: `print_duration` counts only from then on.
    private(set) var hasExtruded = false

    /// A print of `reader` starting `now`, with the machine's extrusion counter at `extruded`.
    init(filename: String, path: String, reader: GcodeFileReader, now: Double, extruded: Double) {
        self.filename = filename
        self.path = path
        self.reader = reader
        startedAt = now
        extrusionAtStart = extruded
    }

    /// Filament used by the print in mm, given the machine's extrusion counter now.
    func filamentUsed(extruded: Double) -> Double {
        (extrusionAtEnd ?? extruded) - extrusionAtStart
    }

    /// Seconds since the start (until the end).
    func totalDuration(now: Double) -> Double {
        (endedAt ?? now) - startedAt
    }

    /// Seconds spent printing after the first extrusion, pauses left out.
    func printDuration(now: Double) -> Double {
        countedBefore + (countingSince.map { now - $0 } ?? 0)
    }

    /// Notes the machine's extrusion counter: the first extrusion starts `print_duration`.
    func noteExtrusion(_ extruded: Double, now: Double) {
        guard !hasExtruded, ending == nil, extruded > extrusionAtStart else { return }
        hasExtruded = true
        countingSince = now
    }

    /// Stops counting `print_duration` (pause).
    func stopCounting(now: Double) {
        if let since = countingSince { countedBefore += now - since }
        countingSince = nil
    }

    /// Counts `print_duration` again (resume), if filament was used already.
    func resumeCounting(now: Double) {
        if hasExtruded && countingSince == nil { countingSince = now }
    }

    /// Ends the print.
    func end(_ ending: Ending, now: Double, extruded: Double) {
        stopCounting(now: now)
        self.ending = ending
        endedAt = now
        extrusionAtEnd = extruded
    }

    /// `virtual_sdcard.file_position`: bytes read (0 after a cancel, as Klipper resets it).
    var filePosition: Int { ending == .cancelled ? 0 : reader.position }

    /// `virtual_sdcard.file_size` (0 after a cancel).
    var fileSize: Int { ending == .cancelled ? 0 : reader.size }

    /// `virtual_sdcard.file_path`: the path while the file is open (printing or paused).
    var openPath: String? { ending == nil ? path : nil }
}
