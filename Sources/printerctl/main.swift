import ArgumentParser

/// printerctl: the printer agent from a terminal or a script (docs/printerctl.md).
struct Printerctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "printerctl",
        abstract: "Drive a printer running printer-agent (or Anycubic's LAN mode) from a terminal or a script.",
        discussion: """
            Connect with --host ADDRESS (the LAN handshake on port 18910) or --broker URL with \
            --model-id and --device-id; the same keys may live in ~/.config/printerctl.conf. \
            Exit status: 0 done, 1 refused by the printer, 2 the print stopped or failed, \
            3 cannot connect, 4 printer offline, 5 timed out, 64 bad usage.
            """,
        subcommands: [Discover.self, Status.self, List.self, Remove.self, Upload.self, StartPrint.self,
                      Pause.self, Resume.self, Stop.self, Temperature.self, Fan.self, Home.self, Move.self,
                      Console.self, Watch.self, Ota.self])
}

Printerctl.main()
