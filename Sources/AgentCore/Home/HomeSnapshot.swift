/// What the home session shows of the printer at one moment. The agent takes one after each
/// reactor callback from the facts' owners (the print supervisor, the backend, the OTA
/// service); `HomeFeed` derives every home publication from the difference between two.
public struct HomeSnapshot {
    /// Whether the motion controller is connected and can take a print.
    public var controllerReady = false
    /// The active job, if any.
    public var job: PrintJob? = nil
    /// The job that ended last (its phase says how), until the next one starts.
    public var lastJob: PrintJob? = nil
    /// Why the last job failed, when it did.
    public var lastFailure: String? = nil
    /// The active job's file size in bytes, when known.
    public var fileSize: Int64? = nil
    /// The heaters and fan.
    public var readings = ControllerReadings()
    /// The firmware version installed now (the one an update installed, before the reboot).
    public var installedVersion = ""
    /// The version of the update available to install (`ota_install = on_request`), if any.
    public var availableVersion: String? = nil
    /// The firmware update on its way: its version and how far it is (percent), if any.
    public var update: (version: String, percent: Int)? = nil

    /// An idle printer with no controller and nothing measured.
    public init() {}

}
