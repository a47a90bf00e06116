/// The fuzz targets' oracle: a property of the code under test that must hold for every
/// input. A violation stops the process with the message, which libFuzzer reports as a
/// crash and saves the input for.
public enum FuzzCheck {
    /// Stops the process with `message` unless `condition` holds.
    public static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz property violated: " + message()) }
    }
}
