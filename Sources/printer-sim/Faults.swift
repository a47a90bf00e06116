/// A `--fault` as written: `name@N` or `name@N:argument`, N counting G0/G1 moves from 1.
private struct FaultSpec {
    let name: String
    let move: Int
    let argument: String?

    /// Splits `text` into name, move number and argument.
    init(_ text: String) throws {
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw UsageError(message: "--fault \"\(text)\": expected NAME@N or NAME@N:ARGUMENT")
        }
        let position = parts[1].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let move = Int(position[0]), move >= 1 else {
            throw UsageError(message: "--fault \"\(text)\": the move number must be a whole number from 1")
        }
        name = parts[0]
        self.move = move
        argument = position.count > 1 ? position[1] : nil
    }

    /// The argument, which this fault requires.
    func requiredArgument(_ what: String) throws -> String {
        guard let argument, !argument.isEmpty else {
            throw UsageError(message: "--fault \(name) needs \(what): \(name)@\(move):\(what.uppercased())")
        }
        return argument
    }

    /// Fails for an argument given to a fault that takes none.
    func noArgument() throws {
        if argument != nil { throw UsageError(message: "--fault \(name) takes no argument") }
    }
}

/// A misbehaviour of the Marlin board at the Nth G0/G1 it receives for the first time.
struct MarlinFault {
    /// What goes wrong.
    enum Kind: Equatable {
        /// Executes the move but never sends its `ok`.
        case dropOk
        /// Answers the move as a checksum mismatch once.
        case corrupt
        /// Answers the move (and its resent copies) as a checksum mismatch this many times.
        case resendStorm(times: Int)
        /// The move takes this many seconds, with busy keepalives.
        case busy(seconds: Double)
        /// Reboots instead of answering the move.
        case reset
        /// Never writes anything again.
        case silence
        /// Halts with `Error:Printer halted. kill() called!` and never answers again.
        case halt
        /// Prints `//action:<word>` after the move's `ok`.
        case action(String)
    }

    /// The 1-based number of the move.
    let move: Int
    let kind: Kind

    /// Parses a `--fault` of the marlin mode.
    init(_ text: String) throws {
        let spec = try FaultSpec(text)
        move = spec.move
        switch spec.name {
        case "drop-ok": try spec.noArgument(); kind = .dropOk
        case "corrupt": try spec.noArgument(); kind = .corrupt
        case "reset": try spec.noArgument(); kind = .reset
        case "silence": try spec.noArgument(); kind = .silence
        case "halt": try spec.noArgument(); kind = .halt
        case "resend-storm":
            guard let times = Int(try spec.requiredArgument("a count")), times >= 1 else {
                throw UsageError(message: "--fault \(text): the count must be a whole number from 1")
            }
            kind = .resendStorm(times: times)
        case "busy":
            guard let seconds = Double(try spec.requiredArgument("seconds")), seconds.isFinite, seconds > 0 else {
                throw UsageError(message: "--fault \(text): the seconds must be a number above 0")
            }
            kind = .busy(seconds: seconds)
        case "action":
            kind = .action(try spec.requiredArgument("a word"))
        default:
            throw UsageError(message: "--fault \(text): unknown marlin fault \"\(spec.name)\"")
        }
    }
}

/// A misbehaviour of the Klipper host at the Nth G0/G1 it executes.
struct KlipperFault {
    /// What goes wrong.
    enum Kind: Equatable {
        /// Closes every client connection (the print goes on).
        case close
        /// Never replies or pushes again (connections stay open).
        case silence
        /// The MCU shuts down ("Timer too close"): webhooks `shutdown`, the print left `paused`.
        case error
    }

    /// The 1-based number of the move.
    let move: Int
    let kind: Kind

    /// Parses a `--fault` of the klipper mode.
    init(_ text: String) throws {
        let spec = try FaultSpec(text)
        move = spec.move
        switch spec.name {
        case "close": kind = .close
        case "silence": kind = .silence
        case "error": kind = .error
        default: throw UsageError(message: "--fault \(text): unknown klipper fault \"\(spec.name)\"")
        }
        try spec.noArgument()
    }
}
