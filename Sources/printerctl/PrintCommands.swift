import ArgumentParser

/// `printerctl print NAME [--usb]`: prints a file already on the printer.
struct StartPrint: PrinterCommand {
    static let configuration = CommandConfiguration(commandName: "print", abstract: "Print a file that is on the printer (or its USB stick).")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "The file is on the USB stick.") var usb = false
    @Argument(help: "The file's path below the storage root.") var name: String

    func run(on printer: Printer, output: Output) throws {
        let task = try startPrint(name, usb: usb, on: printer)
        output.show(["printing": name, "task": task]) { ["printing \(name) (task \(task))"] }
    }
}

/// Starts printing `path` (on the USB stick when `usb`) and returns the task id the printer gave.
func startPrint(_ path: String, usb: Bool, on printer: Printer) throws -> String {
    let (directory, name) = splitPath(path)
    let answer = try printer.ask("print", "start", data: ["filename": name, "filepath": directory,
                                                          "filetype": usb ? 2 : 1, "taskid": activeTask])
    let data = answer["data"] as? [String: Any] ?? [:]
    return (data["taskid"] as? String) ?? (data["taskid"] as? Int).map(String.init) ?? "?"
}

/// What pause, resume and stop share: one print command for the active job, and the state
/// it answered.
protocol JobCommand: PrinterCommand {
    /// The `print` action.
    static var action: String { get }
}

extension JobCommand {
    func run(on printer: Printer, output: Output) throws {
        let answer = try printer.ask("print", Self.action, data: ["taskid": activeTask])
        let state = answer["state"] as? String ?? "done"
        output.show(["action": Self.action, "state": state]) { ["\(Self.action): \(state)"] }
    }
}

/// `printerctl pause`.
struct Pause: JobCommand {
    static let configuration = CommandConfiguration(abstract: "Pause the print.")
    static let action = "pause"
    @OptionGroup var connection: ConnectionOptions
}

/// `printerctl resume`.
struct Resume: JobCommand {
    static let configuration = CommandConfiguration(abstract: "Resume the paused print.")
    static let action = "resume"
    @OptionGroup var connection: ConnectionOptions
}

/// `printerctl stop`.
struct Stop: JobCommand {
    static let configuration = CommandConfiguration(abstract: "Stop the print.")
    static let action = "stop"
    @OptionGroup var connection: ConnectionOptions
}
