import AgentCore
import Testing

/// Resends with lines in flight, on boards that flush their receive buffer after a line error
/// and on boards that do not, and lost oks: step by step, then whole prints into a modelled
/// board (`MarlinBoardModel`).
@Suite struct MarlinSenderResendTests {
    /// A sender with a 127-byte receive buffer whose M110 was acknowledged, and lines 1...3
    /// (`G1 X1`...) in flight.
    private static func senderWithThreeInFlight() -> MarlinSender {
        var limits = MarlinSender.Limits()
        limits.receiveBufferBytes = 127
        var sender = MarlinSender(limits: limits)
        _ = sender.restartNumbering(now: 0)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        for number in 1...3 { _ = sender.send(SenderLines.bytes("G1 X\(number)"), now: 0) }
        return sender
    }

    @Test func aBoardThatDoesNotFlushRefusesEachLineInFlightAndGetsOneCopy() {
        // The log of issue 17: line 1 is refused, and 2 and 3, already in the board's buffer,
        // are refused with the same request. One rewind answers all three.
        var sender = Self.senderWithThreeInFlight()
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0))
            == [SenderLines.write(1, "G1 X1"), SenderLines.write(2, "G1 X2"), SenderLines.write(3, "G1 X3")])
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        for _ in 2...3 {
            let again = sender.received(SenderLines.bytes("Resend: 1"), now: 0)
            #expect(SenderLines.writes(again).isEmpty, "a repeat caused by a line in flight gets no new copy")
            #expect(again.contains { if case .log(_, let text) = $0 { return text.contains("again") } else { return false } })
            #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [], "the repeat's own ok")
            #expect(!sender.isIdle)
        }
        for _ in 1...3 { #expect(sender.received(SenderLines.bytes("ok"), now: 0) == []) }
        #expect(sender.isIdle)
        #expect(!sender.hasFailed)
    }

    @Test func doomedCopiesKeepTheirBytesUntilTheBoardRefusesThemOrReadsPastThem() {
        // Lines of 20 bytes into 60: three fit.
        var limits = MarlinSender.Limits()
        limits.receiveBufferBytes = 60
        var sender = MarlinSender(limits: limits)
        _ = sender.restartNumbering(now: 0)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        for number in 1...3 { _ = sender.send(SenderLines.bytes("G1 X1\(number).5 Y1"), now: 0) }
        // 2 and 3 may still fill the buffer: only the copy of 1 goes out.
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)) == [SenderLines.write(1, "G1 X11.5 Y1")])
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        // A board that does not flush refuses 2, then 3: their bytes have left the buffer.
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)) == [SenderLines.write(2, "G1 X12.5 Y1")])
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("ok"), now: 0)) == [])
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)) == [SenderLines.write(3, "G1 X13.5 Y1")])
        // Or, flushed, the board took the copy of 1: it read past them.
        var flushing = MarlinSender(limits: limits)
        _ = flushing.restartNumbering(now: 0)
        _ = flushing.received(SenderLines.bytes("ok"), now: 0)
        for number in 1...3 { _ = flushing.send(SenderLines.bytes("G1 X1\(number).5 Y1"), now: 0) }
        _ = flushing.received(SenderLines.bytes("Resend: 1"), now: 0)
        _ = flushing.received(SenderLines.bytes("ok"), now: 0)
        #expect(flushing.received(SenderLines.bytes("ok"), now: 0) == [SenderLines.write(2, "G1 X12.5 Y1"), SenderLines.write(3, "G1 X13.5 Y1")])
    }

    @Test func onlyRequestsForALostCopyCountAgainstTheLimit() throws {
        var limits = MarlinSender.Limits()
        limits.receiveBufferBytes = 127
        limits.maxResendsPerLine = 2
        var sender = MarlinSender(limits: limits)
        _ = sender.restartNumbering(now: 0)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        for number in 1...5 { _ = sender.send(SenderLines.bytes("G1 X\(number)"), now: 0) }
        // Five refusals for line 1, four of them from lines in flight: one request.
        for _ in 1...5 {
            _ = sender.received(SenderLines.bytes("Resend: 1"), now: 0)
            _ = sender.received(SenderLines.bytes("ok"), now: 0)
        }
        #expect(!sender.hasFailed)
        // The copy of 1 is refused, and the copies behind it: a second request.
        for _ in 1...5 {
            _ = sender.received(SenderLines.bytes("Resend: 1"), now: 0)
            _ = sender.received(SenderLines.bytes("ok"), now: 0)
        }
        #expect(!sender.hasFailed)
        // A second request with copies behind the refused one may be a miscount: once the
        // board is silent, a probe alone asks where it stands.
        #expect(SenderLines.writes(sender.tick(now: 3_000)) == [SenderLines.write(6, "M105")])
        // It lacks line 1 still: the limit of two lost copies is passed.
        let last = sender.received(SenderLines.bytes("Resend: 1"), now: 3_010)
        #expect(last.contains { if case .failed(let text) = $0 { return text.contains("line 1") } else { return false } })
    }

    @Test func anExtraRefusalIsNotAnsweredWithCopiesTheBoardWouldRefuseAgain() {
        // A board that does not flush: a corrupted byte became a line end and cut line 1 in
        // two, so four refusals answer three lines; the board then takes the copies.
        var sender = Self.senderWithThreeInFlight()
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)).count == 3)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        for _ in 1...2 {
            #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)).isEmpty)
            _ = sender.received(SenderLines.bytes("ok"), now: 0)
        }
        // The fourth looks like a request for the copy of 1, with the copies of 2 and 3 behind it.
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 1)).isEmpty,
                "no second copies: the board took the first ones")
        _ = sender.received(SenderLines.bytes("ok"), now: 1)
        for _ in 1...3 { #expect(SenderLines.writes(sender.received(SenderLines.bytes("ok"), now: 2)).isEmpty) }
        #expect(!sender.canSend)
        #expect(sender.tick(now: 2_999).isEmpty)
        #expect(SenderLines.writes(sender.tick(now: 3_002)) == [SenderLines.write(4, "M105")], "a probe, alone")
        _ = sender.received(SenderLines.bytes("ok T:25.0 /0.0 B:25.0 /0.0 @:0 B@:0"), now: 3_010)
        #expect(sender.isIdle)
        #expect(SenderLines.writes(sender.send(SenderLines.bytes("G1 X4"), now: 3_011)) == [SenderLines.write(5, "G1 X4")])
        #expect(!sender.hasFailed)
    }

    @Test func theRefusalOfALinesTailAnswersNoCopy() {
        // A corrupted byte became a line end and cut line 1 in two: the board refuses the
        // head, then the tail (no line number), then 2 and 3; it takes the copies.
        var sender = Self.senderWithThreeInFlight()
        _ = sender.received(SenderLines.bytes("Error:No Checksum with line number, Last Line: 0"), now: 0)
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)).count == 3)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        _ = sender.received(SenderLines.bytes("Error:No Line Number with checksum, Last Line: 0"), now: 0)
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)).isEmpty)
        #expect(sender.received(SenderLines.bytes("ok"), now: 0) == [])
        for _ in 2...3 {
            _ = sender.received(SenderLines.bytes("Error:Line Number is not Last Line Number+1, Last Line: 0"), now: 0)
            #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)).isEmpty)
            _ = sender.received(SenderLines.bytes("ok"), now: 0)
        }
        for _ in 1...3 { _ = sender.received(SenderLines.bytes("ok"), now: 1) }
        #expect(sender.isIdle, "the three copies taken, nothing more to write")
        #expect(!sender.hasFailed)
    }

    @Test func silenceAfterARepeatedRequestProbesAtOnce() {
        // A board that flushes may have flushed the copy with the fragment it refused.
        var sender = Self.senderWithThreeInFlight()
        _ = sender.received(SenderLines.bytes("Resend: 1"), now: 0)
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        _ = sender.received(SenderLines.bytes("Resend: 1"), now: 10)
        _ = sender.received(SenderLines.bytes("ok"), now: 10)
        #expect(sender.tick(now: 500).isEmpty)
        #expect(SenderLines.writes(sender.tick(now: 510)) == [SenderLines.write(4, "M105")])
        #expect(sender.tick(now: 1_000).isEmpty, "one probe")
        // The board lacks line 1 still: the rewind starts over.
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 1_010)).first
            == SenderLines.write(1, "G1 X1"))
    }

    @Test func aProbeAfterSilenceResumesFromTheLineTheBoardLacks() {
        var sender = Self.senderWithThreeInFlight()
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        // Line 2's bytes were lost on the wire; 3 was refused and its request lost too.
        let probe = sender.tick(now: 30_000)
        #expect(SenderLines.writes(probe) == [SenderLines.write(4, "M105")])
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 2"), now: 30_001))
            == [SenderLines.write(2, "G1 X2"), SenderLines.write(3, "G1 X3"), SenderLines.write(4, "M105")])
        for _ in 1...4 { #expect(sender.received(SenderLines.bytes("ok"), now: 30_002) == []) }
        #expect(sender.isIdle)
    }

    @Test func keepaliveAnnouncedInTheCapabilitiesShortensTheTimeout() {
        var sender = Self.senderWithThreeInFlight()
        _ = sender.received(SenderLines.bytes("Cap:HOST_KEEPALIVE:1"), now: 0)
        #expect(sender.busySeen)
        #expect(sender.tick(now: 2_999).isEmpty)
        #expect(SenderLines.writes(sender.tick(now: 3_000)) == [SenderLines.write(4, "M105")])
    }

    @Test func theBoardsOwnKeepaliveIntervalSetsTheTimeout() {
        var sender = Self.senderWithThreeInFlight()
        _ = sender.received(SenderLines.bytes("Cap:HOST_KEEPALIVE:1"), now: 0)
        _ = sender.received(SenderLines.bytes("echo:M113 S5"), now: 0)
        #expect(sender.tick(now: 7_499).isEmpty, "no false timeout during a long move on a board that says every 5 s")
        #expect(SenderLines.writes(sender.tick(now: 7_500)) == [SenderLines.write(4, "M105")])
        var silent = Self.senderWithThreeInFlight()
        _ = silent.received(SenderLines.bytes("Cap:HOST_KEEPALIVE:1"), now: 0)
        _ = silent.received(SenderLines.bytes("echo:M113 S0"), now: 0)
        #expect(!silent.busySeen, "M113 S0: no keepalive at all")
        #expect(silent.tick(now: 29_999).isEmpty)
    }

    @Test func theLostOkProbeIsAnsweredWithTheTemperaturesOnItsOk() {
        // Stock Marlin answers M105 with its report on the ok line; that is the probe's ok.
        var sender = Self.senderWithThreeInFlight()
        _ = sender.received(SenderLines.bytes("Cap:HOST_KEEPALIVE:1"), now: 0)
        _ = sender.received(SenderLines.bytes("ok"), now: 10)
        _ = sender.received(SenderLines.bytes("ok"), now: 10)
        // Line 3's ok was lost.
        #expect(SenderLines.writes(sender.tick(now: 3_010)) == [SenderLines.write(4, "M105")])
        let answer = sender.received(SenderLines.bytes("ok T:200.0 /200.0 B:60.0 /60.0 @:0 B@:0"), now: 3_020)
        #expect(answer.contains(.readings(ControllerReadings(nozzleTemperature: 200, nozzleTarget: 200,
                                                             bedTemperature: 60, bedTarget: 60))))
        #expect(sender.isIdle, "the probe is acknowledged")
        #expect(SenderLines.writes(sender.send(SenderLines.bytes("G1 X5"), now: 3_030)) == [SenderLines.write(5, "G1 X5")])
        #expect(sender.tick(now: 3_500).isEmpty)
    }

    @Test func aGarbledRequestIsAnsweredFromItsLineError() {
        // A board that does not flush refuses 1, 2 and 3; the request of 2's refusal is
        // corrupted on its way to the host: its error line says what it asked for.
        var sender = Self.senderWithThreeInFlight()
        _ = sender.received(SenderLines.bytes("Error:checksum mismatch, Last Line: 0"), now: 0)
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)).first == SenderLines.write(1, "G1 X1"))
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        _ = sender.received(SenderLines.bytes("Error:Line Number is not Last Line Number+1, Last Line: 0"), now: 0)
        _ = sender.received(SenderLines.bytes("Resend\u{FFFD} 1"), now: 0)
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("ok"), now: 0)).isEmpty,
                "the garbled request's ok acknowledges no copy")
        _ = sender.received(SenderLines.bytes("Error:Line Number is not Last Line Number+1, Last Line: 0"), now: 0)
        #expect(SenderLines.writes(sender.received(SenderLines.bytes("Resend: 1"), now: 0)).isEmpty,
                "3's refusal is a repeat too: no new copies")
        _ = sender.received(SenderLines.bytes("ok"), now: 0)
        for _ in 1...3 { _ = sender.received(SenderLines.bytes("ok"), now: 0) }
        #expect(sender.isIdle)
        #expect(!sender.hasFailed)
    }

    @Test func heaterWaitReportsHoldOffTheTimeoutWhateverIsInFlight() {
        var sender = Self.senderWithThreeInFlight()
        _ = sender.received(SenderLines.bytes("busy: processing"), now: 0)
        for time in stride(from: Int64(1_000), through: 60_000, by: 1_000) {
            _ = sender.received(SenderLines.bytes(" T:150.0 /210.0 B:60.0 /60.0 @:0 B@:0 W:?"), now: time)
            #expect(sender.tick(now: time + 500).isEmpty, "at \(time)")
        }
        // An auto-report is no such sign.
        _ = sender.received(SenderLines.bytes("T:210.0 /210.0 B:60.0 /60.0 @:0 B@:0"), now: 62_000)
        #expect(!SenderLines.writes(sender.tick(now: 63_000)).isEmpty)
    }

    /// Whole prints into the modelled board, every fault of issue 17 on both kinds of board,
    /// with send-ahead and one line per ok.
    @Test(arguments: [127, 0], [true, false])
    func wholePrintsConvergeAndRunEveryMoveOnce(buffer: Int, flushOnError: Bool) {
        let cases: [(String, MarlinBoardModel.Faults)] = [
            ("a resend every 400 lines", .init(flushOnError: flushOnError, corruptEvery: 400)),
            ("a resend every 50 lines", .init(flushOnError: flushOnError, corruptEvery: 50)),
            ("1 byte in 10,000 corrupted", .init(flushOnError: flushOnError, corruptOneIn: 10_000, seed: 7)),
            ("1 byte in 2,000 corrupted", .init(flushOnError: flushOnError, corruptOneIn: 2_000, seed: 3)),
            ("an ok lost every 500 lines", .init(flushOnError: flushOnError, loseOkEvery: 500)),
        ]
        let count = 5_000
        let expected = (1...count).map { "G1 X\($0)" }
        for (name, faults) in cases {
            var print = ModelledPrint(buffer: buffer, faults: faults)
            print.run(count: count)
            #expect(print.failure == nil, "\(name): \(print.failure ?? "")")
            #expect(print.moves == expected, "\(name): every move once, in order")
            #expect(!print.board.overflowed, "\(name): the receive buffer never overflowed")
        }
    }

    @Test func resendsCostNoMoreThanTheLinesResent() {
        for flushOnError in [true, false] {
            var clean = ModelledPrint(buffer: 127, faults: .init(flushOnError: flushOnError))
            clean.run(count: 4_000)
            var faulty = ModelledPrint(buffer: 127, faults: .init(flushOnError: flushOnError, corruptEvery: 50))
            faulty.run(count: 4_000)
            let resends = 4_000 / 50
            // Each request rewrites the refused line and the few sent behind it: at most a
            // window's worth (127 bytes) each, however many refusals the lines in flight cause.
            let extra = faulty.bytesWritten - clean.bytesWritten
            #expect(extra > 0)
            #expect(extra <= resends * 127, "flush \(flushOnError): \(extra) extra bytes for \(resends) resends")
        }
    }

    @Test func aLostOkCostsAFewSecondsWhenTheBoardAnnouncesKeepalive() {
        var clean = ModelledPrint(buffer: 127, faults: .init())
        clean.run(count: 10_000)
        var lossy = ModelledPrint(buffer: 127, faults: .init(loseOkEvery: 500))
        lossy.run(count: 10_000)
        #expect(lossy.failure == nil)
        let lost = Int64(10_000 / 500)
        let perLostOk = (lossy.now - clean.now) / lost
        #expect(perLostOk <= 5_000, "\(perLostOk) ms per lost ok")
    }
}
