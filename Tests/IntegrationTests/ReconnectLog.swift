import TestSupport

/// The broker connection as the agent's log tells it.
extension AgentProcess {
    /// One reconnect delay the agent logged, with the range docs/protocol.md documents for it.
    struct ReconnectDelay {
        /// The delay, in milliseconds (`retrying in <delay> ms`).
        var delay: Int
        /// Where the n-th delay after a successful connect (n from 0) must fall: [d/2, d]
        /// with d = min(60 s, 1 s × 2ⁿ), but [0.5 s, `reconnect_spread`] for the first one
        /// after a lost connection.
        var documented: ClosedRange<Int>
        /// Whether the line said the connection was lost (the first delay after a connect),
        /// rather than that an attempt failed.
        var afterLoss: Bool
    }

    /// Every reconnect delay in the log, in order, for an agent with `reconnect_spread` of
    /// `spreadMs` (the default, 10 s, unless given).
    func reconnectDelays(spreadMs: Int = 10_000) -> [ReconnectDelay] {
        var failures = 0
        var delays: [ReconnectDelay] = []
        for line in log.split(separator: "\n") {
            if line.contains("connected to the broker") { failures = 0 }
            guard let range = line.range(of: "retrying in "),
                  let delay = Int(line[range.upperBound...].prefix { $0.isNumber }) else { continue }
            let afterLoss = line.contains("lost the broker connection")
            let ceiling = min(60_000, 1_000 << min(failures, 6))
            let documented = afterLoss && failures == 0 ? 500...spreadMs : ceiling / 2...ceiling
            delays.append(ReconnectDelay(delay: delay, documented: documented, afterLoss: afterLoss))
            failures += 1
        }
        return delays
    }

    /// How many times the log says `text`.
    func occurrences(of text: String) -> Int { log.components(separatedBy: text).count - 1 }
}
