import AgentPlatform
import CLibc
import Testing

/// The EINTR retry wrapper and the error it throws.
@Suite struct SystemErrorTests {
    @Test func aCallInterruptedByASignalIsMadeAgainUntilItSucceeds() throws {
        var calls = 0
        let result = try retryingEINTR("read x") { () -> Int in
            calls += 1
            if calls < 4 {
                agent_set_errno(EINTR)
                return -1
            }
            return 42
        }
        #expect(result == 42)
        #expect(calls == 4)
    }

    @Test func anotherErrnoThrowsNamingTheCallAndStrerrorsText() {
        var calls = 0
        do {
            let result = try retryingEINTR("open /etc/secret") { () -> Int32 in
                calls += 1
                agent_set_errno(EACCES)
                return -1
            }
            Issue.record("returned \(result) instead of throwing")
        } catch {
            #expect(error == SystemError(call: "open /etc/secret", errno: EACCES,
                                         message: "open /etc/secret: Permission denied"))
        }
        #expect(calls == 1)
    }

    /// Only -1 means failure: whatever errno holds, other results come back from one call.
    @Test(arguments: [0, 1, -2, Int.max, Int.min])
    func otherResultsPassThrough(value: Int) throws {
        var calls = 0
        let result = try retryingEINTR("call") { () -> Int in
            calls += 1
            agent_set_errno(EINTR)
            return value
        }
        #expect(result == value)
        #expect(calls == 1)
    }

    @Test func fromErrnoDescribesErrnoAsItIsNow() {
        agent_set_errno(ENOENT)
        let error = SystemError.fromErrno("stat /x")
        #expect(error == SystemError(call: "stat /x", errno: ENOENT, message: "stat /x: No such file or directory"))
    }
}
