/// The agent's version, reported by `--version` and in `info` reports.
enum AgentVersion {
    static let current = "0.1.0"
}
