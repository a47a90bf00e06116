import Foundation

/// The serial line between the host and the simulated board, one direction of it: bytes may
/// be corrupted at random (seeded, so the same seed changes the same bytes of the same
/// stream; line ends excepted) and, at a given baud rate, take the time 8N1 framing gives
/// them (10 bits a byte).
final class SerialLine {
    private let loop: EventLoop
    /// Bytes a second, nil for as fast as the pty.
    private let bytesPerSecond: Double?
    private var random: SplitMix64
    private let corruptionRate: Double
    /// Bytes to pass before the next corrupted one.
    private var untilCorruption: Int
    /// The bits changed so far in the line being sent (XOR of the changes since its start).
    private var lineChange: UInt8 = 0
    /// Bytes on the wire, not delivered yet.
    private var pending: [UInt8] = []
    private var timer: EventLoop.TimerID?
    /// Bytes the line may deliver now (less than one).
    private var credit = 0.0
    private var lastRelease = 0.0
    /// Receives the bytes as they arrive.
    private let deliver: ([UInt8]) -> Void

    /// A line direction with `faults`' speed and corruption; `stream` tells the two
    /// directions' random numbers apart.
    init(faults: LineFaults, stream: UInt64, loop: EventLoop, deliver: @escaping ([UInt8]) -> Void) {
        self.loop = loop
        bytesPerSecond = faults.baud.map { $0 / 10 }
        corruptionRate = faults.corruptionRate
        random = SplitMix64(seed: faults.seed &* 2 &+ stream)
        untilCorruption = 0
        self.deliver = deliver
        untilCorruption = nextGap()
    }

    /// Whether bytes wait on the wire.
    var isBusy: Bool { !pending.isEmpty }

    /// Puts `bytes` on the line.
    func send(_ bytes: [UInt8]) {
        var bytes = bytes
        if corruptionRate > 0 {
            let newline = UInt8(ascii: "\n")
            var index = untilCorruption
            var scanned = 0
            while index < bytes.count {
                if bytes[scanned..<index].contains(newline) { lineChange = 0 }
                scanned = index
                // Line ends are left alone: two lines merged into one pass Marlin's 8-bit XOR
                // checksum once in 256, and would run a corrupted command.
                if bytes[index] == newline {
                    index += 1
                    continue
                }
                // Nor is a second change that undoes the line's first for that checksum (the
                // same bits flipped twice): it would pass, and no host could notice.
                let change = UInt8(truncatingIfNeeded: random.next() % 255 + 1)
                if change != lineChange {
                    bytes[index] ^= change
                    lineChange ^= change
                }
                index += 1 + nextGap()
            }
            if bytes[scanned...].contains(newline) { lineChange = 0 }
            untilCorruption = index - bytes.count
        }
        guard bytesPerSecond != nil else { return deliver(bytes) }
        if pending.isEmpty {
            credit = 0
            lastRelease = loop.now
        }
        pending += bytes
        schedule()
    }

    /// Bytes to pass before the next corrupted one: geometric with the corruption rate.
    private func nextGap() -> Int {
        guard corruptionRate > 0 else { return Int.max / 2 }
        let uniform = (Double(random.next() >> 11) + 0.5) / Double(1 << 53)
        return Int((log(uniform) / log(1 - corruptionRate)).rounded(.down))
    }

    /// Releases what the line carried since the last release, every millisecond.
    private func schedule() {
        guard timer == nil, !pending.isEmpty else { return }
        timer = loop.after(0.001) { [unowned self] in
            timer = nil
            release()
        }
    }

    /// Delivers the bytes the line had time to carry.
    private func release() {
        guard let bytesPerSecond else { return }
        let now = loop.now
        credit += (now - lastRelease) * bytesPerSecond
        lastRelease = now
        let count = min(pending.count, Int(credit))
        if count > 0 {
            credit -= Double(count)
            let chunk = Array(pending.prefix(count))
            pending.removeFirst(count)
            deliver(chunk)
        }
        schedule()
    }
}

/// A small seeded generator of random numbers (SplitMix64): the same seed, the same numbers.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The next number.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
