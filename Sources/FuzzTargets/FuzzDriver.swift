import Glibc
#if FUZZING
import CFuzzer
#endif

/// The `main` of a fuzz executable. Built for fuzzing (`-sanitize=fuzzer -DFUZZING`, as
/// `fuzz/run` does) it hands the command line to libFuzzer, which calls `body` for every
/// input it generates. Built normally (`swift build`), it runs `body` once for each file
/// named on the command line (files in a named directory too) and says which it ran, so a
/// crash found by the fuzzer can be replayed and debugged without the sanitizer build.
public enum FuzzDriver {
    /// The target's one-input function, for the C callback (which can capture nothing).
    fileprivate static var body: ([UInt8]) -> Void = { _ in }

    /// Runs the fuzz target `body` as described above and exits with libFuzzer's status
    /// (or, replaying, 0 when every file ran and 1 when one could not be read).
    public static func main(_ body: @escaping ([UInt8]) -> Void) -> Never {
        Self.body = body
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
        #else
        exit(replay(CommandLine.arguments.dropFirst()))
        #endif
    }

    #if !FUZZING
    /// Runs `body` on every file of `paths` (a directory stands for the files in it).
    private static func replay(_ paths: ArraySlice<String>) -> Int32 {
        var status: Int32 = 0
        for path in paths.flatMap(FuzzFiles.expand) {
            guard let bytes = FuzzFiles.read(path) else {
                fputs("cannot read \(path)\n", stderr)
                status = 1
                continue
            }
            body(bytes)
            print("ran \(path) (\(bytes.count) bytes)")
        }
        return status
    }
    #endif
}

#if FUZZING
/// libFuzzer's per-input callback, under the name its own `main` (linked in, unused) needs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzDriver.body(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#endif
