import AgentCore
import AgentPlatform

/// A print file that passed every check, ready for a backend.
struct PrintFile {
    /// The open file (a Marlin backend streams it; a Klipper backend only needs the path).
    let reader: PrintFileReader
    /// The file's absolute path on the printer.
    let absolutePath: String
    /// How the controller names the file: the path below the local storage root for the
    /// local storage (Klipper's virtual SD card), the absolute path for a USB stick.
    let controllerPath: String
}

/// A motion controller the agent prints with: the Marlin serial backend or the Klipper
/// socket backend, chosen by the `controller` key. Each keeps its own connection (and
/// reconnects), and tells what the controller does through `onEvent`. Whether a pause, a
/// resume or a stop is allowed is `PrintSupervisor.transition`'s decision: a backend carries
/// it out, and fails a request only when the controller cannot take it (not connected, a
/// refused file name), with the failure its command answers with.
protocol PrinterBackend: AnyObject {
    /// Receives every event of the controller.
    var onEvent: (ControllerEvent) -> Void { get set }
    /// Why the controller cannot take a print now, or nil when it can.
    var unavailableReason: String? { get }
    /// Starts connecting, with its descriptors and timers on the reactor it was made for.
    func start()
    /// Starts printing `file`.
    func startPrint(_ file: PrintFile) -> CommandFailure?
    /// Pauses the print; `.paused` follows.
    func pause() -> CommandFailure?
    /// Resumes the paused print; `.resumed` follows.
    func resume() -> CommandFailure?
    /// Stops the print; `.stopped` follows.
    func stop() -> CommandFailure?
    /// Changes temperatures, fans, speed or Z offset, during a print or not.
    func apply(_ settings: PrintSettings) -> CommandFailure?
    /// Sends G-code lines (a light) without waiting for them, during a print or not.
    func send(_ lines: [String]) -> CommandFailure?
    /// Runs G-code lines (a move, a console command), during a print or not (between the
    /// file's lines); `done` gets what the controller printed while they ran once the last
    /// one is carried out, or the failure. The failure returned at once means nothing was sent.
    func run(_ lines: [String], done: @escaping (Result<[String], CommandFailure>) -> Void) -> CommandFailure?
    /// The toolhead's position: Klipper's status has it (`done` is called at once), Marlin
    /// is asked with `M114`.
    func position(_ done: @escaping (Result<AxisPosition, CommandFailure>) -> Void) -> CommandFailure?
}
