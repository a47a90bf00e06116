import CLibc

/// Facts about the machine the agent runs on.
public enum HostInfo {
    /// The first non-loopback IPv4 address of an interface that is up, or nil.
    public static func primaryIPv4() -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let found = buffer.withUnsafeMutableBufferPointer { agent_primary_ipv4($0.baseAddress, $0.count) }
        guard found == 0 else { return nil }
        return buffer.withUnsafeBufferPointer { $0.baseAddress.map { String(cString: $0) } }
    }

    /// The hardware address (`AA-BB-CC-DD-EE-FF`) of the interface holding the dotted IPv4
    /// `address`, or nil.
    public static func hardwareAddress(of address: String) -> String? {
        var binary = in_addr()
        guard address.withCString({ inet_pton(AF_INET, $0, &binary) }) == 1 else { return nil }
        var buffer = [CChar](repeating: 0, count: 32)
        let found = buffer.withUnsafeMutableBufferPointer { agent_mac_of_ipv4(binary.s_addr, $0.baseAddress, $0.count) }
        guard found == 0 else { return nil }
        return buffer.withUnsafeBufferPointer { $0.baseAddress.map { String(cString: $0) } }
    }

    /// `count` random bytes from the kernel's generator (for msgids and jitter).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A random number in [0, 1).
    public static func unitRandom() -> Double { Double.random(in: 0..<1) }
}
