import AgentCore
import AgentPlatform
@testable import PrinterAgent

/// A Marlin board played by the test, as a backend's link: it takes numbered lines, answers
/// each with `ok` a millisecond later on the reactor (`M105` with temperatures, `M115` with
/// the firmware's name and its auto-report capability, `M114` with a position, `M503` with
/// settings), and keeps the commands it got. The
/// test can make it restart (it says `start`, as a board does after a reset) or go away.
final class FakeMarlinBoard: ByteLink {
    var onOpen: () -> Void = {}
    var onFrame: (ByteFrameSplitter.Frame) -> Void = { _ in }
    var onClosed: (String) -> Void = { _ in }
    private(set) var isOpen = false
    private(set) var problem = "not connected yet"
    /// The commands received, without line numbers and checksums, in order.
    private(set) var commands: [String] = []
    private let reactor: Reactor

    /// A board answering on `reactor`.
    init(reactor: Reactor) { self.reactor = reactor }

    func start(on reactor: Reactor) {
        isOpen = true
        problem = ""
        onOpen()
    }

    func write(_ bytes: [UInt8]) {
        guard isOpen else { return }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let command = Self.command(of: line)
            commands.append(command)
            let replies = Self.replies(to: command)
            reactor.after(1) { [self] in
                for reply in replies where isOpen { say(reply) }
            }
        }
    }

    func close(_ reason: String) {
        guard isOpen else { return }
        isOpen = false
        problem = reason
        onClosed(reason)
    }

    /// The board sends `line`.
    func say(_ line: String) { onFrame(ByteFrameSplitter.Frame(bytes: Array(line.utf8))) }

    /// The commands since the last one equal to `marker` (all of them when there is none).
    func commands(after marker: String) -> [String] {
        guard let index = commands.lastIndex(of: marker) else { return commands }
        return Array(commands[(index + 1)...])
    }

    /// `N12 G1 X1*34` as `G1 X1`.
    private static func command(of line: Substring) -> String {
        var text = line
        if text.hasPrefix("N"), let space = text.firstIndex(of: " ") { text = text[text.index(after: space)...] }
        if let star = text.lastIndex(of: "*") { text = text[..<star] }
        return String(text)
    }

    private static func replies(to command: String) -> [String] {
        if command.hasPrefix("M105") { return ["ok T:210.0 /210.0 B:60.0 /60.0 @:0 B@:0"] }
        if command.hasPrefix("M114") { return ["X:10.00 Y:20.00 Z:5.00 E:0.00 Count X:800 Y:1600 Z:2000", "ok"] }
        if command.hasPrefix("M503") { return ["echo:; Steps per unit:", "echo:  M92 X80.00 Y80.00 Z400.00 E93.00", "ok"] }
        if command.hasPrefix("M115") {
            return ["FIRMWARE_NAME:Marlin 2.1.2 (fake) SOURCE_CODE_URL:github.com/MarlinFirmware/Marlin",
                    "Cap:AUTOREPORT_TEMP:1", "ok"]
        }
        return ["ok"]
    }
}
