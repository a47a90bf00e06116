/// Turns reports into publications on the printer's topics, stamping each with the
/// wall-clock time in milliseconds and, for pushed reports, a fresh msgid.
public struct ReportEncoder {
    /// The printer's topics.
    public let topics: DeviceTopics
    private let wallClockMs: () -> Int64
    private let newMessageID: () -> String

    /// Creates an encoder with a wall clock (milliseconds since 1970) and a msgid source.
    public init(topics: DeviceTopics, wallClockMs: @escaping () -> Int64, newMessageID: @escaping () -> String) {
        self.topics = topics
        self.wallClockMs = wallClockMs
        self.newMessageID = newMessageID
    }

    /// `report` on `.../<type>/report`.
    public func publication(_ report: Report, retain: Bool = false) -> Publication {
        Publication(topic: topics.report(report.type),
                    payload: report.payload(timestamp: wallClockMs(), freshMsgid: newMessageID()),
                    retain: retain)
    }

    /// The bare acknowledgement of the command with `msgid` on `.../response`.
    public func acknowledgement(_ msgid: String) -> Publication {
        Publication(topic: topics.response, payload: Report.acknowledgement(msgid: msgid))
    }
}
