import AgentPlatform
import Foundation
import Testing

/// The device binary's own `ceil`, `trunc` and `round` agree with libm's on every kind of input.
@Suite struct RuntimeMathTests {
    static let inputs: [Double] = [
        0, -0.0, 0.4, -0.4, 0.5, -0.5, 1, -1, 1.0000001, -1.0000001, 2.5, -2.5, 123_456.789, -123_456.789,
        4_503_599_627_370_495.5, -4_503_599_627_370_495.5, 4_503_599_627_370_496, 9.007e15, -9.007e15,
        1e300, -1e300, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        Double(Int64.max), Double(Int64.min), 1_795_241_383_525.25,
    ]

    @Test(arguments: inputs)
    func truncMatchesLibm(x: Double) {
        #expect(RuntimeMath.trunc(x).bitPattern == Foundation.trunc(x).bitPattern, "trunc(\(x))")
    }

    @Test(arguments: inputs)
    func ceilMatchesLibm(x: Double) {
        let ours = RuntimeMath.ceil(x), theirs = Foundation.ceil(x)
        #expect(ours == theirs && ours.sign == theirs.sign || (ours == 0 && theirs == 0), "ceil(\(x)) = \(ours), libm \(theirs)")
    }

    @Test(arguments: inputs)
    func roundMatchesLibm(x: Double) {
        #expect(RuntimeMath.round(x).bitPattern == Foundation.round(x).bitPattern, "round(\(x))")
    }

    @Test func nanStaysNaN() {
        #expect(RuntimeMath.trunc(.nan).isNaN)
        #expect(RuntimeMath.ceil(.nan).isNaN)
        #expect(RuntimeMath.round(.nan).isNaN)
    }
}
