import AgentJSON

/// The numbers the agent gives the prints nobody numbered (a print from the printer's own
/// storage, a print the controller was already running), as the firmware does: whole
/// numbers, because the clients pause, resume and stop a job by `int(task_id)`. A number is
/// never given twice, across restarts too: the last one is kept in the state directory, and
/// the next is also at least the seconds since 2025, so a lost record does not bring old
/// numbers back on a board whose clock is set.
public struct TaskNumbering: Equatable {
    /// 2025-01-01T00:00:00Z, in seconds since the Unix epoch.
    static let epoch: Int64 = 1_735_689_600
    /// The id clients send for "the active job" (Rinkhals, KX-Bridge, the S1's own app).
    public static let activeJob = "-1"

    /// The last number given (0 before the first).
    public private(set) var last: Int64

    /// Numbering that continues after `record`, the text of the kept record (nil or damaged: from 0).
    public init(record: [UInt8]?) {
        let digits = (record ?? []).filter { $0 != UInt8(ascii: "\n") }
        let value = digits.count <= 18 && !digits.isEmpty && digits.allSatisfy({ $0 >= 48 && $0 <= 57 })
            ? Int64(String(decoding: digits, as: UTF8.self)) : nil
        last = value ?? 0
    }

    /// The next number, given at wall-clock time `wallClockSeconds`; keep `record` afterwards.
    public mutating func next(wallClockSeconds: Int64) -> Int64 {
        last = max(last + 1, wallClockSeconds - Self.epoch)
        return last
    }

    /// The record to keep after `next`.
    public var record: String { String(last) + "\n" }

    /// A task id as the firmware sends it in `project.task_id`: a number when it is one
    /// (every id the agent gives, and the cloud's), else the text as it came.
    public static func wireValue(of taskId: String) -> JSONValue {
        let bytes = Array(taskId.utf8)
        let digits = bytes.first == UInt8(ascii: "-") ? bytes.dropFirst() : bytes[...]
        if !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }),
           let value = Int64(taskId) {
            return .int64(value)
        }
        return .string(taskId)
    }
}
