import AgentCore
import Testing

private typealias Action = BrokerSession.Action

/// A session whose jitter is always `random`.
private func session(queueCapacity: Int = 10, random: Double = 0.5) -> BrokerSession {
    BrokerSession(subscriptions: [testTopics.commandFilter], queueCapacity: queueCapacity, random: { random })
}

/// A session that has connected once (its start actions checked elsewhere).
private func connectedSession(queueCapacity: Int = 10, random: Double = 0.5) -> BrokerSession {
    let subject = session(queueCapacity: queueCapacity, random: random)
    _ = subject.start()
    _ = subject.connected(announcements: [])
    return subject
}

/// The delay of the `scheduleReconnect` among `actions`, if exactly one.
private func scheduledDelay(_ actions: [Action]) -> Int64? {
    let delays = actions.compactMap { action -> Int64? in
        if case .scheduleReconnect(let afterMs) = action { return afterMs }
        return nil
    }
    return delays.count == 1 ? delays[0] : nil
}

/// The log lines among `actions`.
private func logs(_ actions: [Action]) -> [(LogLevel, String)] {
    actions.compactMap { action in
        if case .log(let level, let line) = action { return (level, line) }
        return nil
    }
}

/// The actions other than log lines.
private func withoutLogs(_ actions: [Action]) -> [Action] {
    actions.filter { if case .log = $0 { return false } else { return true } }
}

private let offline = publication("offline")

struct BrokerSessionTests {
    @Test func startConnects() {
        let subject = session()
        #expect(subject.state == .idle)
        #expect(subject.start() == [.connect])
        #expect(subject.state == .connecting)
        #expect(subject.start() == [])
    }

    @Test func failedAttemptLogsAndSchedulesARetry() throws {
        let subject = session(random: 0.5)
        _ = subject.start()
        let actions = subject.connectionFailed("connection refused")
        #expect(subject.state == .waiting)
        #expect(actions.count == 2)
        let line = try #require(logs(actions).first)
        #expect(line.0 == .warning)
        #expect(line.1.contains("connection refused"))
        let delay = try #require(scheduledDelay(actions))
        #expect((500...1000).contains(delay))
        #expect(line.1.contains("\(delay)"))
        #expect(subject.failures == 1)
    }

    @Test func reconnectDueConnectsAgain() {
        let subject = session()
        _ = subject.start()
        _ = subject.connectionFailed("timeout")
        #expect(subject.reconnectDue() == [.connect])
        #expect(subject.state == .connecting)
    }

    @Test func connectedSubscribesThenAnnouncesThenSendsTheBacklog() throws {
        let subject = session()
        _ = subject.start()
        _ = subject.connectionFailed("refused")
        #expect(subject.publish(publication("q1")) == [])
        #expect(subject.publish(publication("q2")) == [])
        #expect(subject.queued == 2)
        _ = subject.reconnectDue()
        let actions = subject.connected(announcements: [publication("online"), publication("status")])
        #expect(subject.state == .connected)
        guard case .log(.info, _)? = actions.first else {
            Issue.record("the first action is not an info log line: \(actions)")
            return
        }
        #expect(Array(actions.dropFirst()) == [
            .subscribe(testTopics.commandFilter),
            .publish(publication("online")), .publish(publication("status")),
            .publish(publication("q1")), .publish(publication("q2")),
        ])
        #expect(subject.queued == 0)
    }

    @Test(arguments: [(2, 3), (2, 5), (1, 10)])
    func droppedBacklogIsReportedInAWarning(capacity: Int, pushed: Int) throws {
        let subject = session(queueCapacity: capacity)
        _ = subject.start()
        let names = (1...pushed).map { "q\($0)" }
        for name in names { _ = subject.publish(publication(name)) }
        let actions = subject.connected(announcements: [publication("online")])
        let warnings = logs(actions).filter { $0.0 == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.1.contains("\(pushed - capacity)") == true, "\(warnings)")
        #expect(withoutLogs(actions) == [.subscribe(testTopics.commandFilter), .publish(publication("online"))]
                + names.suffix(capacity).map { .publish(publication($0)) })
    }

    @Test func noWarningWhenNothingWasDropped() {
        let subject = session()
        _ = subject.start()
        _ = subject.publish(publication("q1"))
        let actions = subject.connected(announcements: [])
        #expect(logs(actions).allSatisfy { $0.0 != .warning })
    }

    @Test func publishWhileConnectedGoesOut() {
        let subject = connectedSession()
        #expect(subject.publish(publication("a")) == [.publish(publication("a"))])
        #expect(subject.queued == 0)
    }

    @Test func publishWhileOfflineIsQueued() {
        let subject = session()
        #expect(subject.publish(publication("idle")) == [])
        _ = subject.start()
        #expect(subject.publish(publication("connecting")) == [])
        _ = subject.connectionFailed("down")
        #expect(subject.publish(publication("waiting")) == [])
        #expect(subject.queued == 3)
    }

    @Test func failedPublishIsSentAfterTheNextConnect() {
        let subject = connectedSession()
        subject.publishFailed(publication("lost"))
        #expect(subject.queued == 1)
        _ = subject.connectionFailed("connection lost")
        _ = subject.reconnectDue()
        let actions = subject.connected(announcements: [publication("online")])
        #expect(withoutLogs(actions) == [
            .subscribe(testTopics.commandFilter), .publish(publication("online")), .publish(publication("lost")),
        ])
    }

    @Test func repeatedFailuresGrowTheDelayToSixtySecondsAndAConnectResetsIt() throws {
        let subject = session(random: 0.999)
        _ = subject.start()
        var delays: [Int64] = []
        for attempt in 0..<12 {
            delays.append(try #require(scheduledDelay(subject.connectionFailed("refused #\(attempt)"))))
            #expect(subject.reconnectDue() == [.connect])
        }
        for (attempt, delay) in delays.enumerated() {
            let top: Int64 = attempt >= 6 ? 60_000 : 1000 << Int64(attempt)
            #expect(delay >= top / 2 && delay <= top, "attempt \(attempt): \(delay)")
        }
        #expect(delays.max()! <= 60_000)
        #expect(delays.last! > 59_000)
        _ = subject.connected(announcements: [])
        #expect(subject.failures == 0)
        let lost = subject.connectionFailed("connection lost")
        let delay = try #require(scheduledDelay(lost))
        #expect((500...10_000).contains(delay), "the first delay after a loss is spread over 10 s")
        #expect(subject.state == .waiting)
        _ = subject.reconnectDue()
        let retry = try #require(scheduledDelay(subject.connectionFailed("connection refused")))
        #expect((1000...2000).contains(retry), "then the backoff goes on from its second step")
    }

    @Test func lostConnectionAndFailedAttemptAreLoggedDifferently() throws {
        let subject = connectedSession()
        let lost = try #require(logs(subject.connectionFailed("EOF")).first)
        _ = subject.reconnectDue()
        let failed = try #require(logs(subject.connectionFailed("EOF")).first)
        #expect(lost.1 != failed.1)
    }

    @Test func stopWhileConnectedSaysOfflineThenDisconnects() {
        let subject = connectedSession()
        #expect(subject.stop(offline: offline) == [.publish(offline), .disconnect])
        #expect(subject.state == .stopped)
    }

    @Test(arguments: ["idle", "connecting", "waiting"])
    func stopWhileNotConnectedDoesNothing(state: String) {
        let subject = session()
        if state != "idle" { _ = subject.start() }
        if state == "waiting" { _ = subject.connectionFailed("down") }
        #expect(subject.stop(offline: offline) == [])
        #expect(subject.state == .stopped)
    }

    @Test func afterStopEveryEventIsIgnored() {
        let subject = connectedSession()
        _ = subject.stop(offline: offline)
        #expect(subject.start() == [])
        #expect(subject.connectionFailed("late") == [])
        #expect(subject.reconnectDue() == [])
        #expect(subject.connected(announcements: [publication("x")]) == [])
        #expect(subject.publish(publication("y")) == [])
        subject.publishFailed(publication("z"))
        #expect(subject.queued == 0)
        #expect(subject.stop(offline: offline) == [])
        #expect(subject.state == .stopped)
    }

    @Test func eventsInTheWrongStateAreIgnored() {
        let idle = session()
        #expect(idle.connected(announcements: []) == [])
        #expect(idle.connectionFailed("x") == [])
        #expect(idle.reconnectDue() == [])
        #expect(idle.state == .idle)

        let waiting = session()
        _ = waiting.start()
        _ = waiting.connectionFailed("x")
        #expect(waiting.connected(announcements: [publication("a")]) == [])
        #expect(waiting.connectionFailed("again") == [])
        #expect(waiting.state == .waiting)
        #expect(waiting.failures == 1)

        let connecting = session()
        _ = connecting.start()
        #expect(connecting.reconnectDue() == [])
        #expect(connecting.state == .connecting)

        let connected = connectedSession()
        #expect(connected.reconnectDue() == [])
        #expect(connected.connected(announcements: [publication("b")]) == [])
        #expect(connected.state == .connected)
    }
}
