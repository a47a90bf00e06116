import AgentCore
import AgentJSON
import Testing

struct TaskNumberingTests {
    /// 2026-12-07T00:00:00Z.
    private let now: Int64 = 1_796_601_600

    @Test func theNextNumberFollowsTheRecordAndTheClock() {
        var numbers = TaskNumbering(record: Array("61000000\n".utf8))
        #expect(numbers.next(wallClockSeconds: 0) == 61_000_001, "a board whose clock is not set goes on from the record")
        #expect(numbers.record == "61000001\n")
        var lost = TaskNumbering(record: nil)
        let first = lost.next(wallClockSeconds: now)
        #expect(first == now - 1_735_689_600, "a lost record starts from the seconds since 2025")
        #expect(lost.next(wallClockSeconds: now) == first + 1, "two in the same second differ")
        #expect(first < Int64(Int32.max), "fits a 32-bit int for decades")
    }

    @Test(arguments: ["", "abc", "-5", "12x", "99999999999999999999", "\n"])
    func aDamagedRecordStartsAfresh(record: String) {
        var numbers = TaskNumbering(record: Array(record.utf8))
        #expect(numbers.next(wallClockSeconds: 0) == 1)
    }

    @Test(arguments: [("614707220", JSONValue.int64(614_707_220)), ("-1", .int64(-1)), ("7", .int64(7)),
                      ("cloud-abc", .string("cloud-abc")), ("", .string("")), ("12345678901234567", .string("12345678901234567"))])
    func theWireValueIsANumberWhenTheIdIsOne(id: String, value: JSONValue) {
        #expect(TaskNumbering.wireValue(of: id) == value)
    }
}
