import TestSupport

/// A running Marlin simulator, its folder and the host's end of its link (all three must
/// live as long as the test).
struct MarlinBoard {
    let directory: TemporaryDirectory
    let simulator: PrinterSimulator
    let link: SerialLink

    /// A simulator started with `arguments`, with the link opened.
    init(_ arguments: [String] = []) throws {
        directory = try TemporaryDirectory()
        simulator = try PrinterSimulator.marlin(directory: directory, arguments: arguments)
        link = try SerialLink(simulator.path)
    }
}
