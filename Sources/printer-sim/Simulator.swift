/// A running simulator, as main.swift drives it.
protocol Simulator: AnyObject {
    /// Where the host reaches it: the serial link or the socket path, printed in `ready`.
    var address: String { get }

    /// Cleans up before exit (removes the link or the socket).
    func stop()
}
