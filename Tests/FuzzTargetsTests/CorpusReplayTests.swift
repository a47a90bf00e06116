import FuzzTargets
import Testing

/// The fuzz directory of the repository (`fuzz/`), found from this file's path.
private let fuzzDirectory: String = {
    var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)  // Tests/FuzzTargetsTests/CorpusReplayTests.swift
    return components.joined(separator: "/") + "/fuzz"
}()

/// Every committed input of each fuzz target, the seeds and the inputs that once crashed
/// (`fuzz/regressions/<target>/`), runs through the target without tripping its oracle,
/// so a fix that regresses fails `swift test` without the fuzzer.
struct CorpusReplayTests {
    /// The target's inputs in `fuzz/corpus/<target>` and `fuzz/regressions/<target>`.
    private func inputs(_ target: String) -> [[UInt8]] {
        ["corpus", "regressions"].flatMap { FuzzFiles.expand(fuzzDirectory + "/" + $0 + "/" + target) }
            .compactMap(FuzzFiles.read)
    }

    @Test func commandInputs() {
        let inputs = inputs("commands")
        #expect(inputs.count >= 40)
        for input in inputs { CommandsFuzzTarget.shared.run(input) }
    }

    @Test func controllerInputs() {
        let inputs = inputs("controller")
        #expect(inputs.count >= 10)
        for input in inputs { ControllerFuzzTarget.run(input) }
    }

    @Test func configInputs() {
        let inputs = inputs("config")
        #expect(inputs.count >= 5)
        for input in inputs { ConfigFuzzTarget.run(input) }
    }

    @Test func archiveInputs() {
        let inputs = inputs("archive")
        #expect(inputs.count >= 5)
        for input in inputs { ArchiveFuzzTarget.shared.run(input) }
    }
}
