/// What `MarlinSession` asks its adapter to do, in order.
public enum MarlinAction: Equatable {
    /// Write these bytes to the serial port.
    case write([UInt8])
    /// Tell the print's supervisor what the board or the job did.
    case event(ControllerEvent)
    /// Close the serial connection (it reopens on its own); the reason, for the log.
    case close(String)
    /// A run of G-code (`MarlinSession.run`) ended: the lines the board said while it ran
    /// them, or why it failed.
    case ran(id: Int, Result<[String], CommandFailure>)
    /// Write this line to the log.
    case log(LogLevel, String)
}
