import Foundation
import Testing
import TestSupport

/// The Marlin simulator's line faults: a board that does not flush after a line error, bytes
/// in transit, periodic resends, lost oks, corruption, a baud rate, and the command log.
@Suite struct MarlinLineFaultsTests {
    /// Lines 1 to 3 in one write, line 2 corrupted.
    private static let burstWithABadLine = [SerialLink.numbered(1, "G90"), "N2 G90*1", SerialLink.numbered(3, "G91")]
        .joined(separator: "\n")

    @Test func aBoardThatDoesNotFlushRefusesEachLineBehindABadOne() throws {
        let board = try MarlinBoard(["--rx-flush-on-error", "no"])
        board.link.send(Self.burstWithABadLine)
        #expect(try board.link.readUntilOk() == ["ok"])
        #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 1", "Resend: 2", "ok"])
        #expect(try board.link.readUntilOk() == ["Error:Line Number is not Last Line Number+1, Last Line: 1", "Resend: 2", "ok"],
                "line 3 was still in the buffer")
        board.link.send(2, "G90")
        #expect(try board.link.readUntilOk() == ["ok"])
    }

    @Test func bytesInTransitArriveAfterTheFlush() throws {
        let board = try MarlinBoard(["--transit", "6"])
        board.link.send(Self.burstWithABadLine)
        #expect(try board.link.readUntilOk() == ["ok"])
        #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 1", "Resend: 2", "ok"])
        // The last 6 bytes of line 3 ("G91*NN") arrive after the flush: a fragment with a checksum.
        #expect(try board.link.readUntilOk() == ["Error:No Line Number with checksum, Last Line: 1", "Resend: 2", "ok"])
    }

    @Test func resendEveryRefusesEveryNthNewLineOnce() throws {
        let board = try MarlinBoard(["--resend-every", "2"])
        board.link.send(1, "G90")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(2, "G90")
        #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 1", "Resend: 2", "ok"])
        board.link.send(2, "G90")
        #expect(try board.link.readUntilOk() == ["ok"], "the resent copy is taken")
        board.link.send(3, "G90")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(4, "G90")
        #expect(try board.link.readUntilOk() == ["Error:checksum mismatch, Last Line: 3", "Resend: 4", "ok"])
    }

    @Test func dropOkEveryLosesEveryNthOkAndTheLogHasEveryCommandOnce() throws {
        let directory = try TemporaryDirectory()
        let log = directory.path + "/commands.txt"
        let board = try MarlinBoard(["--drop-ok-every", "2", "--command-log", log])
        board.link.send(1, "G90")
        #expect(try board.link.readUntilOk() == ["ok"])
        board.link.send(2, "G91")
        // The ok of line 2, were it sent, would come before the answer to line 3.
        board.link.send(3, "M105")
        #expect(try board.link.readUntilOk() == ["ok " + MarlinSimulatorTests.cold])
        try waitUntil("the log has the commands", timeout: 5) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count == 3
        }
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "N1 G90\nN2 G91\nN3 M105\n")
    }

    @Test func corruptionIsTheSameForTheSameSeed() throws {
        /// What the host reads for 30 M105s with `arguments`, as many bytes as the clean answers.
        func answers(_ arguments: [String]) throws -> [UInt8] {
            let board = try MarlinBoard(arguments)
            for _ in 1...30 { board.link.send("M105") }
            return try board.link.readBytes(count: 30 * ("ok " + MarlinSimulatorTests.cold + "\n").utf8.count)
        }
        let clean = try answers([])
        let first = try answers(["--corrupt", "0.01", "--seed", "5"])
        let second = try answers(["--corrupt", "0.01", "--seed", "5"])
        #expect(first == second)
        #expect(first != clean)
        let changed = zip(first, clean).filter { $0 != $1 }.count
        #expect(changed >= 1 && changed < 40, "\(changed) of \(clean.count) bytes changed")
    }

    @Test func aBaudRateTakesTenBitsABytes() throws {
        let board = try MarlinBoard(["--baud", "9600"])
        let started = Date()
        // 50 lines of 4 bytes out (the 3-byte answers cross at the same time): 200 bytes, 208 ms at
        // 960 bytes a second.
        for _ in 1...50 { board.link.send("G90") }
        for _ in 1...50 { #expect(try board.link.readLine() == "ok") }
        #expect(Date().timeIntervalSince(started) >= 0.2)
    }

    @Test func keepaliveIsAnnouncedUnlessTurnedOff() throws {
        let on = try MarlinBoard(["--speed", "10", "--busy-interval", "0.1"])
        on.link.send("M115")
        #expect(try on.link.readUntilOk().contains("Cap:HOST_KEEPALIVE:1"))
        #expect(try on.link.dwell(seconds: 0.3).contains("echo:busy: processing"))
        let off = try MarlinBoard(["--speed", "10", "--busy-interval", "0.1", "--keepalive", "no"])
        off.link.send("M115")
        #expect(try off.link.readUntilOk().contains("Cap:HOST_KEEPALIVE:0"))
        #expect(try off.link.dwell(seconds: 0.3) == ["ok"], "no busy: during the dwell")
    }
}
