/// The application-key requests of OctoPrint's app-key flow (`/plugin/appkeys/request`), as
/// Home Assistant's OctoPrint integration uses it: an application asks for the key and gets
/// a token to poll with; the printer's owner approves or denies the request by its short code
/// (on the printer: `printer-agent --approve-app <code>`; with the API key:
/// `POST /plugin/appkeys/decision/<code>`, the web page's buttons), or every request is
/// approved at once when configured; the next poll then hands out the API key, once. A
/// request denied, or not approved within `lifetimeMs`, is forgotten (its poll answers 404,
/// as OctoPrint's does).
public struct AppKeyRequests {
    /// The most requests waiting at once; more are refused until one ends.
    public static let maxPending = 8
    /// How long a request waits for approval, in milliseconds.
    public static let lifetimeMs: Int64 = 5 * 60_000

    /// One request.
    public struct Pending: Equatable {
        /// The secret the application polls with.
        public let token: String
        /// The short code the owner approves it by.
        public let code: String
        /// The application's name, as it gave it.
        public let app: String
        /// When it was made (monotonic milliseconds).
        public let madeMs: Int64
        /// Whether the owner approved it.
        public var approved: Bool
    }

    /// What a poll finds.
    public enum Poll: Equatable {
        /// Still waiting for the owner.
        case waiting
        /// Approved: the key is handed out (and the request forgotten).
        case approved
        /// No such request, or it timed out.
        case unknown
    }

    /// The requests waiting or approved and not yet polled.
    public private(set) var pending: [Pending] = []
    /// Whether every request is approved as it comes.
    public let autoApprove: Bool

    /// No request yet; `autoApprove` approves each at once.
    public init(autoApprove: Bool) { self.autoApprove = autoApprove }

    /// Records a request of `app` with its `token` and `code` (fresh random words); refused
    /// (503) when `maxPending` wait already.
    public mutating func request(app: String, token: String, code: String, now: Int64) throws(CommandFailure) {
        expire(now: now)
        guard pending.count < Self.maxPending else {
            throw CommandFailure(.unavailable, String(Self.maxPending) + " application-key requests are waiting already: try again in a few minutes")
        }
        pending.append(Pending(token: token, code: code, app: app, madeMs: now, approved: autoApprove))
    }

    /// Approves (`approve`) or denies (forgets) the request waiting with the code `code`;
    /// returns its application's name, or nil when no request waits with that code (none was
    /// made, it was decided already or it timed out).
    public mutating func decide(code: String, approve: Bool, now: Int64) -> String? {
        expire(now: now)
        guard let index = pending.firstIndex(where: { $0.code == code && !$0.approved }) else { return nil }
        let app = pending[index].app
        if approve { pending[index].approved = true } else { pending.remove(at: index) }
        return app
    }

    /// The requests still waiting for the owner's decision, oldest first.
    public mutating func waiting(now: Int64) -> [Pending] {
        expire(now: now)
        return pending.filter { !$0.approved }
    }

    /// What the request polled with `token` has come to.
    public mutating func poll(token: String, now: Int64) -> Poll {
        expire(now: now)
        guard let index = pending.firstIndex(where: { $0.token == token }) else { return .unknown }
        guard pending[index].approved else { return .waiting }
        pending.remove(at: index)
        return .approved
    }

    /// Forgets the requests older than `lifetimeMs`.
    private mutating func expire(now: Int64) {
        pending.removeAll { now - $0.madeMs > Self.lifetimeMs }
    }
}
