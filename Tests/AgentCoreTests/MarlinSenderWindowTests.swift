import AgentCore
import Testing

/// Flow control with lines sent ahead into the board's receive buffer (`receiveBufferBytes`).
@Suite struct MarlinSenderWindowTests {
    /// `text`'s bytes.
    private static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// The write of line `number` holding `command`.
    private static func write(_ number: Int, _ command: String) -> MarlinSender.Action {
        .write(MarlinLine.numbered(number, bytes(command)))
    }

    /// The writes among `actions`.
    private static func writes(_ actions: [MarlinSender.Action]) -> [MarlinSender.Action] {
        actions.filter { if case .write = $0 { return true } else { return false } }
    }

    /// A sender with a `buffer`-byte receive buffer whose M110 was acknowledged.
    private static func sender(buffer: Int) -> MarlinSender {
        var limits = MarlinSender.Limits()
        limits.receiveBufferBytes = buffer
        var sender = MarlinSender(limits: limits)
        _ = sender.restartNumbering(now: 0)
        _ = sender.received(bytes("ok"), now: 0)
        return sender
    }

    @Test func linesAreSentAheadWhileTheyFitAndTheNextWaitsForRoom() {
        // "N1 G1 X10 Y10*<c>\n" is 18 or 19 bytes: three fit in 60, the fourth waits.
        var sender = Self.sender(buffer: 60)
        for number in 1...3 {
            #expect(sender.canSend)
            #expect(sender.send(Self.bytes("G1 X10 Y10"), now: 0) == [Self.write(number, "G1 X10 Y10")])
        }
        #expect(sender.canSend)
        #expect(sender.send(Self.bytes("G1 X20 Y20"), now: 0) == [])
        #expect(!sender.canSend)
        #expect(!sender.isIdle)
        #expect(sender.received(Self.bytes("ok"), now: 0) == [Self.write(4, "G1 X20 Y20")])
        #expect(sender.canSend)
        for _ in 1...3 { #expect(sender.received(Self.bytes("ok"), now: 0) == []) }
        #expect(sender.isIdle)
    }

    @Test func aLineLongerThanTheBufferIsSentAloneWhenNothingIsInFlight() {
        var sender = Self.sender(buffer: 8)
        #expect(sender.send(Self.bytes("G1 X10 Y10"), now: 0) == [Self.write(1, "G1 X10 Y10")])
        #expect(!sender.canSend)
        #expect(sender.received(Self.bytes("ok"), now: 0) == [])
        #expect(sender.send(Self.bytes("G1 X20"), now: 0) == [Self.write(2, "G1 X20")])
    }

    @Test func aResendRewritesFromTheRequestedLineOneLinePerOkThenSendsAheadAgain() {
        var sender = Self.sender(buffer: 127)
        for number in 1...4 { _ = sender.send(Self.bytes("G1 X\(number)"), now: 0) }
        #expect(sender.received(Self.bytes("ok"), now: 0) == [])
        // Line 3 arrived corrupted: the board flushed 4, and will acknowledge 2 later.
        #expect(Self.writes(sender.received(Self.bytes("Resend: 3"), now: 0)).isEmpty)
        #expect(!sender.canSend)
        #expect(sender.received(Self.bytes("ok"), now: 0) == [], "the request's own ok; line 2 is still in flight")
        #expect(sender.received(Self.bytes("ok"), now: 0) == [Self.write(3, "G1 X3")])
        #expect(sender.received(Self.bytes("ok"), now: 0) == [Self.write(4, "G1 X4")])
        #expect(!sender.canSend)
        #expect(sender.received(Self.bytes("ok"), now: 0) == [])
        #expect(sender.isIdle)
        #expect(!sender.hasFailed)
        for number in 5...7 {
            #expect(sender.send(Self.bytes("G1 X\(number)"), now: 0) == [Self.write(number, "G1 X\(number)")])
        }
    }

    @Test func aRequestedLineRefusedAgainAfterItsRewriteIsResentAgain() {
        var sender = Self.sender(buffer: 127)
        _ = sender.send(Self.bytes("G1 X1"), now: 0)
        _ = sender.received(Self.bytes("Resend: 1"), now: 0)
        #expect(sender.received(Self.bytes("ok"), now: 0) == [Self.write(1, "G1 X1")])
        _ = sender.received(Self.bytes("Resend: 1"), now: 0)
        #expect(sender.received(Self.bytes("ok"), now: 0) == [Self.write(1, "G1 X1")])
        #expect(sender.received(Self.bytes("ok"), now: 0) == [])
        #expect(sender.isIdle)
    }

    @Test func silenceForgetsTheLostOksAndWritesTheWaitingLine() {
        var sender = Self.sender(buffer: 40)
        _ = sender.send(Self.bytes("G1 X10 Y10"), now: 0)
        _ = sender.send(Self.bytes("G1 X11 Y11"), now: 0)
        #expect(sender.send(Self.bytes("G1 X12 Y12"), now: 0) == [])
        // Both oks were lost: after 30 s of silence the held line goes out alone.
        #expect(Self.writes(sender.tick(now: 30_000)) == [Self.write(3, "G1 X12 Y12")])
        #expect(sender.received(Self.bytes("ok"), now: 30_001) == [])
        #expect(sender.isIdle)
        #expect(sender.canSend)
    }

    @Test func nothingIsSentAheadOfAHeaterWait() {
        var sender = Self.sender(buffer: 127)
        _ = sender.send(Self.bytes("G1 X1"), now: 0)
        #expect(sender.send(Self.bytes("M190 S60"), now: 0) == [Self.write(2, "M190 S60")])
        #expect(!sender.canSend)
        _ = sender.received(Self.bytes("ok"), now: 0)
        #expect(!sender.canSend)
        _ = sender.received(Self.bytes("ok"), now: 0)
        #expect(sender.canSend)
    }

    @Test func temperaturesShowProgressOnlyWhileTheOldestLineWaitsForAHeater() {
        var sender = Self.sender(buffer: 127)
        _ = sender.send(Self.bytes("G1 X0"), now: 0)
        _ = sender.send(Self.bytes("M109 S210"), now: 0)
        _ = sender.received(Self.bytes("ok"), now: 0)
        _ = sender.received(Self.bytes("T:180.0 /210.0 B:60.0 /60.0"), now: 29_000)
        #expect(sender.tick(now: 30_000).isEmpty)
        _ = sender.received(Self.bytes("ok"), now: 31_000)
        _ = sender.send(Self.bytes("G1 X1"), now: 31_000)
        _ = sender.received(Self.bytes("T:210.0 /210.0 B:60.0 /60.0"), now: 60_000)
        #expect(Self.writes(sender.tick(now: 61_000)) == [Self.write(4, "M105")])
    }
}
