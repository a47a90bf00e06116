import Glibc

/// How fast the simulated printer moves.
enum Speed {
    /// Everything as fast as possible.
    case instant
    /// This many moves (G0/G1/G2/G3) per second.
    case movesPerSecond(Double)

    /// Whether moves (and dwells) take no time.
    var isInstant: Bool {
        if case .instant = self { return true }
        return false
    }

    /// The seconds one move takes.
    var secondsPerMove: Double {
        switch self {
        case .instant: return 0
        case .movesPerSecond(let rate): return 1 / rate
        }
    }
}

/// Options both simulators take.
struct CommonOptions {
    var speed = Speed.instant
    /// °C per second; infinity for `instant`.
    var heatRate = 5.0
    var transcript: String?
}

/// `printer-sim marlin` options.
struct MarlinOptions {
    var common = CommonOptions()
    var link = ""
    var autoreport = true
    var busyInterval = 2.0
    /// Marlin's RX_BUFFER_SIZE: bytes of lines not yet taken into the command queue.
    var receiveBuffer = 128
    var faults: [MarlinFault] = []
    /// The serial line's faults and speed.
    var line = LineFaults()
    /// Whether the board announces `Cap:HOST_KEEPALIVE` and sends `busy:` during long commands.
    var keepalive = true
    /// Where each command executed is appended (`N<number> <command>`), if anywhere.
    var commandLog: String?
}

/// How the serial line and the board's serial driver misbehave, all along the print.
struct LineFaults {
    /// Whether a refused line flushes the receive buffer (Marlin's own driver) or not (the
    /// Arduino cores' HardwareSerial): then each line behind it is refused in turn.
    var flushOnError = true
    /// Bytes still on their way when a refused line flushes the buffer: they arrive after it.
    var transitBytes = 0
    /// Every this many numbered lines, one is refused as corrupted on its first arrival (0: never).
    var resendEvery = 0
    /// The chance of each byte, both ways, being changed (0: never).
    var corruptionRate = 0.0
    /// The seed of the corruption's random numbers: the same seed corrupts the same bytes.
    var seed: UInt64 = 1
    /// Every this many commands executed, the ok is not sent (0: never).
    var dropOkEvery = 0
    /// Bits per second with 8N1 framing (10 bits a byte) both ways; nil: as fast as the pty.
    var baud: Double?
}

/// `printer-sim klipper` options.
struct KlipperOptions {
    var common = CommonOptions()
    var socket = ""
    var sdcard = ""
    var updateInterval = 0.25
    var reorder = false
    var faults: [KlipperFault] = []
}

/// A command line that cannot be run; the message says why.
struct UsageError: Error {
    let message: String
}

/// The parsed command line: which simulator to run, with its options.
enum Arguments {
    case marlin(MarlinOptions)
    case klipper(KlipperOptions)
    /// `--help`: print the usage and exit 0.
    case help

    /// The synopsis printed with `--help` and after a bad command line.
    static let usage = """
        usage: printer-sim marlin  --link PATH [--speed instant|N] [--heat-rate instant|R]
                                   [--autoreport yes|no] [--busy-interval S] [--rx-buffer BYTES] [--transcript FILE]
                                   [--keepalive yes|no] [--rx-flush-on-error yes|no] [--transit BYTES]
                                   [--resend-every N] [--corrupt RATE] [--seed N] [--drop-ok-every N]
                                   [--baud BPS] [--command-log FILE] [--fault SPEC]...
               printer-sim klipper --socket PATH --sdcard DIR [--speed instant|N] [--heat-rate instant|R]
                                   [--update-interval MS] [--reorder] [--transcript FILE] [--fault SPEC]...
        Marlin faults:  drop-ok@N corrupt@N resend-storm@N:K busy@N:S reset@N silence@N halt@N action@N:WORD
        Klipper faults: close@N silence@N error@N        (N counts G0/G1 moves from 1)
        """

    /// Parses the arguments after the program name.
    init(_ arguments: [String]) throws {
        guard let mode = arguments.first else { throw UsageError(message: "missing mode: marlin or klipper") }
        if mode == "--help" || mode == "-h" {
            self = .help
            return
        }
        var options = OptionReader(Array(arguments.dropFirst()))
        switch mode {
        case "marlin": self = .marlin(try Self.marlin(&options))
        case "klipper": self = .klipper(try Self.klipper(&options))
        default: throw UsageError(message: "unknown mode \"\(mode)\": expected marlin or klipper")
        }
    }

    /// The options of `printer-sim marlin`.
    private static func marlin(_ reader: inout OptionReader) throws -> MarlinOptions {
        var options = MarlinOptions()
        while let option = reader.next() {
            switch option {
            case "--link": options.link = try reader.value(of: option)
            case "--autoreport": options.autoreport = try reader.choice(of: option, ["yes": true, "no": false])
            case "--busy-interval": options.busyInterval = try reader.positiveNumber(of: option, unit: "seconds")
            case "--rx-buffer": options.receiveBuffer = Int(try reader.positiveNumber(of: option, unit: "bytes"))
            case "--fault": options.faults.append(try MarlinFault(try reader.value(of: option)))
            case "--keepalive": options.keepalive = try reader.choice(of: option, ["yes": true, "no": false])
            case "--rx-flush-on-error":
                options.line.flushOnError = try reader.choice(of: option, ["yes": true, "no": false])
            case "--transit": options.line.transitBytes = try reader.count(of: option, unit: "bytes")
            case "--resend-every": options.line.resendEvery = try reader.count(of: option, unit: "lines")
            case "--drop-ok-every": options.line.dropOkEvery = try reader.count(of: option, unit: "commands")
            case "--seed": options.line.seed = UInt64(try reader.count(of: option, unit: "seed"))
            case "--baud": options.line.baud = try reader.positiveNumber(of: option, unit: "bits per second")
            case "--command-log": options.commandLog = try reader.value(of: option)
            case "--corrupt":
                let rate = try reader.positiveNumber(of: option, unit: "the chance of each byte")
                guard rate < 1 else { throw UsageError(message: "--corrupt: expected a chance below 1, got \(rate)") }
                options.line.corruptionRate = rate
            default: try common(option, &options.common, &reader)
            }
        }
        if options.link.isEmpty { throw UsageError(message: "marlin needs --link PATH") }
        return options
    }

    /// The options of `printer-sim klipper`.
    private static func klipper(_ reader: inout OptionReader) throws -> KlipperOptions {
        var options = KlipperOptions()
        while let option = reader.next() {
            switch option {
            case "--socket": options.socket = try reader.value(of: option)
            case "--sdcard": options.sdcard = try reader.value(of: option)
            case "--update-interval":
                options.updateInterval = try reader.positiveNumber(of: option, unit: "milliseconds") / 1000
            case "--reorder": options.reorder = true
            case "--fault": options.faults.append(try KlipperFault(try reader.value(of: option)))
            default: try common(option, &options.common, &reader)
            }
        }
        if options.socket.isEmpty { throw UsageError(message: "klipper needs --socket PATH") }
        if options.sdcard.isEmpty { throw UsageError(message: "klipper needs --sdcard DIR") }
        var status = stat()
        guard stat(options.sdcard, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw UsageError(message: "--sdcard \(options.sdcard): not a directory")
        }
        return options
    }

    /// The options both modes take; anything else is an unknown option.
    private static func common(_ option: String, _ options: inout CommonOptions, _ reader: inout OptionReader) throws {
        switch option {
        case "--speed":
            let rate = try reader.instantOrPositive(of: option, unit: "moves per second")
            options.speed = rate.isInfinite ? .instant : .movesPerSecond(rate)
        case "--heat-rate":
            options.heatRate = try reader.instantOrPositive(of: option, unit: "°C per second")
        case "--transcript":
            options.transcript = try reader.value(of: option)
        default:
            throw UsageError(message: "unknown option \(option)")
        }
    }
}

/// Walks through `--option value` pairs.
private struct OptionReader {
    private var remaining: ArraySlice<String>

    /// Reads `arguments` from the first.
    init(_ arguments: [String]) { remaining = arguments[...] }

    /// The next option, nil at the end.
    mutating func next() -> String? { remaining.popFirst() }

    /// The value following `option`.
    mutating func value(of option: String) throws -> String {
        guard let value = remaining.popFirst() else { throw UsageError(message: "\(option) needs a value") }
        return value
    }

    /// The value following `option`, one of `choices`.
    mutating func choice<T>(of option: String, _ choices: [String: T]) throws -> T {
        let value = try value(of: option)
        guard let chosen = choices[value] else {
            throw UsageError(message: "\(option): expected \(choices.keys.sorted().joined(separator: " or ")), got \"\(value)\"")
        }
        return chosen
    }

    /// The value following `option`, a number above 0.
    mutating func positiveNumber(of option: String, unit: String) throws -> Double {
        let value = try value(of: option)
        guard let number = Double(value), number.isFinite, number > 0 else {
            throw UsageError(message: "\(option): expected a number of \(unit) above 0, got \"\(value)\"")
        }
        return number
    }

    /// The value following `option`, a whole number from 1.
    mutating func count(of option: String, unit: String) throws -> Int {
        let value = try value(of: option)
        guard let number = Int(value), number >= 1 else {
            throw UsageError(message: "\(option): expected a whole number of \(unit) from 1, got \"\(value)\"")
        }
        return number
    }

    /// The value following `option`: `instant` (infinity) or a number above 0.
    mutating func instantOrPositive(of option: String, unit: String) throws -> Double {
        let value = try value(of: option)
        if value == "instant" { return .infinity }
        guard let number = Double(value), number.isFinite, number > 0 else {
            throw UsageError(message: "\(option): expected instant or a number of \(unit) above 0, got \"\(value)\"")
        }
        return number
    }
}
