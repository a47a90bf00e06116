/// A G-code command Klipper refuses, with the message Klipper gives (`Unknown command:"FOO"`,
/// `SD busy`); it becomes the error of the `gcode/script` request that sent it.
struct GcodeError: Error {
    let message: String

    /// An error with Klipper's `message`.
    init(_ message: String) {
        self.message = message
    }
}
