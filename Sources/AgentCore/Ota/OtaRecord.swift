import AgentJSON

/// What is being installed, written to the state directory before the installer runs, so
/// that the agent started after the reboot can tell whether the update took: it reports
/// `update-success` when the running version is the new one, the failure otherwise, once.
public struct OtaRecord: Equatable {
    /// The version being installed.
    public var version: String
    /// The version that was running when the installer started.
    public var previousVersion: String?
    /// The image's name.
    public var name: String
    /// The kernel's boot id when the installer ran: until it changes, the reboot that
    /// activates the update has not happened and the record waits.
    public var bootId: String

    /// Creates a record.
    public init(version: String, previousVersion: String?, name: String, bootId: String) {
        self.version = version
        self.previousVersion = previousVersion
        self.name = name
        self.bootId = bootId
    }

    /// The record as the JSON text stored on disk.
    public var text: String {
        JSONCodec.print(.object(JSONObject([
            ("version", .string(version)),
            ("previous_version", previousVersion.map { .string($0) } ?? .null),
            ("name", .string(name)),
            ("boot_id", .string(bootId)),
        ]))) + "\n"
    }

    /// Reads a stored record; a damaged one is an error naming what is wrong.
    public static func parse(_ bytes: [UInt8]) throws(CommandFailure) -> OtaRecord {
        let value: JSONValue
        do {
            value = try JSONCodec.parse(bytes)
        } catch {
            throw CommandFailure(.badRequest, "the pending update record is not JSON")
        }
        return OtaRecord(version: try CommandFields.string("version", in: value),
                         previousVersion: try CommandFields.optionalString("previous_version", in: value),
                         name: try CommandFields.string("name", in: value),
                         bootId: try CommandFields.string("boot_id", in: value))
    }

    /// The report of the reboot that followed the installation, given the version running now.
    public func followUp(runningVersion: String?) -> Report {
        let data = JSONValue.object(JSONObject([
            ("firmware_name", .string(name)),
            ("firmware_version", .string(version)),
            ("running_version", runningVersion.map { .string($0) } ?? .null),
        ]))
        if runningVersion == version {
            return Report(type: "ota", action: "update", msgid: nil, state: "update-success", data: data)
        }
        return Report(type: "ota", action: "update", msgid: nil, state: "update-failed", code: .controllerFailed,
                      message: "the printer runs " + (runningVersion ?? "an unknown version") + " after installing " + version,
                      data: data)
    }
}
