import AgentCore
import Testing

/// Flow control with lines sent ahead into the board's receive buffer (`receiveBufferBytes`).
@Suite struct MarlinSenderWindowTests {
    /// A sender with a `buffer`-byte receive buffer whose M110 was acknowledged.
    private static func sender(buffer: Int) -> MarlinSender {
        var limits = MarlinSender.Limits()
        limits.receiveBufferBytes = buffer
        var sender = MarlinSender(limits: limits)
        _ = sender.restartNumbering(now: 0)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        return sender
    }

    @Test func linesAreSentAheadWhileTheyFitAndTheNextWaitsForRoom() {
        // "N1 G1 X10 Y10*<c>\n" is 18 or 19 bytes: three fit in 60, the fourth waits.
        var sender = Self.sender(buffer: 60)
        for number in 1...3 {
            #expect(sender.canSend)
            #expect(sender.send(SenderLines.bytes("G1 X10 Y10"), now: 0) == [SenderLines.write(number, "G1 X10 Y10")])
        }
        #expect(sender.canSend)
        #expect(sender.send(SenderLines.bytes("G1 X20 Y20"), now: 0) == [])
        #expect(!sender.canSend)
        #expect(!sender.isIdle)
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [SenderLines.write(4, "G1 X20 Y20")])
        #expect(sender.canSend)
        for _ in 1...3 { #expect(sender.received(SenderLines.bytes("ok"), now: 0) == []) }
        #expect(sender.isIdle)
    }

    @Test func aLineLongerThanTheBufferIsSentAloneWhenNothingIsInFlight() {
        var sender = Self.sender(buffer: 8)
        #expect(sender.send(SenderLines.bytes("G1 X10 Y10"), now: 0) == [SenderLines.write(1, "G1 X10 Y10")])
        #expect(!sender.canSend)
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        #expect(sender.send(SenderLines.bytes("G1 X20"), now: 0) == [SenderLines.write(2, "G1 X20")])
    }

    @Test func aResendRewritesFromTheRequestedLineWithinTheBufferThenSendsAheadAgain() {
        // Each line is 12 bytes: with 30, two fit.
        var sender = Self.sender(buffer: 30)
        for number in 1...2 { _ = sender.send(SenderLines.bytes("G1 X\(number)"), now: 0) }
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        _ = sender.send(SenderLines.bytes("G1 X3"), now: 0)
        // Line 2 arrived corrupted; 3 may still be in the board's buffer.
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 2"), now: 0)) == [SenderLines.write(2, "G1 X2")])
        #expect(!sender.canSend)
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [], "the request's own ok; 3's bytes still count")
        // The board took the copy of 2: it read past 3's first copy, which it had flushed.
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [SenderLines.write(3, "G1 X3")])
        #expect(sender.canSend)
        #expect(sender.send(SenderLines.bytes("G1 X4"), now: 0) == [SenderLines.write(4, "G1 X4")])
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        #expect(sender.isIdle)
        #expect(!sender.hasFailed)
    }

    @Test func aRequestedLineRefusedAgainAfterItsRewriteIsResentAgain() {
        var sender = Self.sender(buffer: 127)
        _ = sender.send(SenderLines.bytes("G1 X1"), now: 0)
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)) == [SenderLines.write(1, "G1 X1")])
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)) == [SenderLines.write(1, "G1 X1")])
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        #expect(sender.isIdle)
    }

    @Test func silenceForgetsTheLostOksAndProbesBeforeTheWaitingLine() {
        var sender = Self.sender(buffer: 40)
        _ = sender.send(SenderLines.bytes("G1 X10 Y10"), now: 0)
        _ = sender.send(SenderLines.bytes("G1 X11 Y11"), now: 0)
        #expect(sender.send(SenderLines.bytes("G1 X12 Y12"), now: 0) == [])
        // Both oks were lost: after 30 s of silence a numbered M105 goes out alone, then, once
        // the board took it, the held line.
        #expect(SenderLines.writes(sender.tick(now: 30_000)) == [SenderLines.write(3, "M105")])
        #expect(!sender.canSend)
        #expect(sender.received(SenderLines.bytes("ok T:25.0 /0.0 B:25.0 /0.0 @:0 B@:0"), now: 30_001).contains(
            SenderLines.write(4, "G1 X12 Y12")))
        #expect(sender.received(SenderLines.bytes("ok"), now: 30_001) == [])
        #expect(sender.isIdle)
        #expect(sender.canSend)
    }

    @Test func nothingIsSentAheadOfAHeaterWait() {
        var sender = Self.sender(buffer: 127)
        _ = sender.send(SenderLines.bytes("G1 X1"), now: 0)
        #expect(sender.send(SenderLines.bytes("M190 S60"), now: 0) == [SenderLines.write(2, "M190 S60")])
        #expect(!sender.canSend)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        #expect(!sender.canSend)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        #expect(sender.canSend)
    }

    @Test func temperaturesShowProgressOnlyWhileTheOldestLineWaitsForAHeater() {
        var sender = Self.sender(buffer: 127)
        _ = sender.send(SenderLines.bytes("G1 X0"), now: 0)
        _ = sender.send(SenderLines.bytes("M109 S210"), now: 0)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        _ = sender.received(SenderLines.bytes("T:180.0 /210.0 B:60.0 /60.0"), now: 29_000)
        #expect(sender.tick(now: 30_000).isEmpty)
        _ = sender.received(SenderLines.bytes("ok"), now: 31_000)
        _ = sender.send(SenderLines.bytes("G1 X1"), now: 31_000)
        _ = sender.received(SenderLines.bytes("T:210.0 /210.0 B:60.0 /60.0"), now: 60_000)
        #expect(SenderLines.writes(sender.tick(now: 61_000)) == [SenderLines.write(4, "M105")])
    }
}
