/// Everything the agent publishes, in the order a client must see it (design decision 7):
/// for a command, its acknowledgement, then its answer, then the reports that belong to the
/// answer (the busy status after a print starts), then whatever the command caused (a fan
/// report from the first lines streamed). Handlers and services only append; the agent
/// takes the queue after each reactor callback and hands it to the broker session.
public final class Outbox {
    /// Turns reports into publications on the printer's topics.
    public let encoder: ReportEncoder
    private var pending: [Publication] = []
    /// While a command is answered: where its answer goes, and where its next follow-up goes.
    private var answerSlot: (answer: Int, followUp: Int)?

    /// An empty outbox that stamps reports with `encoder`.
    public init(encoder: ReportEncoder) {
        self.encoder = encoder
    }

    /// Queues `report` after everything queued so far (a pushed report: progress,
    /// temperatures, the end of a print, a step of a firmware update).
    public func send(_ report: Report, retain: Bool = false) {
        pending.append(encoder.publication(report, retain: retain))
    }

    /// Queues a report that belongs to the answer of the command being answered: after the
    /// answer and its earlier follow-ups, before what the command caused. Outside a
    /// command it is an ordinary `send`.
    public func follow(_ report: Report) {
        guard let slot = answerSlot else { return send(report) }
        pending.insert(encoder.publication(report), at: slot.followUp)
        answerSlot = (slot.answer, slot.followUp + 1)
    }

    /// Answers a command: the acknowledgement of `msgid` (when there is one), then the
    /// report `handle` returns (none when it returns nil), placed before everything `handle`
    /// sent meanwhile.
    public func answer(msgid: String?, _ handle: () -> Report?) {
        if let msgid { pending.append(encoder.acknowledgement(msgid)) }
        let outer = answerSlot
        answerSlot = (pending.count, pending.count)
        let report = handle()
        if let report, let slot = answerSlot { pending.insert(encoder.publication(report), at: slot.answer) }
        answerSlot = outer
    }

    /// Whether nothing waits.
    public var isEmpty: Bool { pending.isEmpty }

    /// Everything queued, oldest first; the outbox is empty afterwards.
    public func take() -> [Publication] {
        defer { pending.removeAll() }
        return pending
    }
}
