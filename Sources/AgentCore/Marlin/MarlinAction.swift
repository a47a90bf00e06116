/// What `MarlinSession` asks its adapter to do, in order.
public enum MarlinAction: Equatable {
    /// Write these bytes to the serial port.
    case write([UInt8])
    /// Tell the print's supervisor what the board or the job did.
    case event(ControllerEvent)
    /// Close the serial connection (it reopens on its own); the reason, for the log.
    case close(String)
    /// Write this line to the log.
    case log(LogLevel, String)
}
