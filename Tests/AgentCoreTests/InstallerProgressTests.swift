import AgentCore
import Testing

/// InstallerProgress: the percentage in a line of swupdate's, rauc's or a plain installer's output.
@Suite struct InstallerProgressTests {
    @Test(arguments: [
        ("[ 34%]", 34),
        ("[100%] done", 100),
        ("[  0%]", 0),
        ("34%", 34),
        ("installing `/data/update.raucb`: 45% Copying image to rootfs.1", 45),
        ("  45% Checking bundle", 45),
        ("progress: 12.5%", 12),
        ("progress: 99.99%", 99),
        ("progress: .5%", 0),
        ("step 1 of 3: 20% ... 80%", 80),
    ])
    func aPercentageIsFound(line: String, percent: Int) {
        #expect(InstallerProgress.percent(in: line) == percent)
    }

    @Test func theLastPercentageWithinRangeWins() {
        #expect(InstallerProgress.percent(in: "[ 40%] 150%") == 40)
        #expect(InstallerProgress.percent(in: "10% then 1000%") == 10)
        #expect(InstallerProgress.percent(in: "[ 60%] then 70 %") == 60, "a space before % is not a percentage")
    }

    @Test(arguments: [
        "", "Installing image", "100 percent", "%", "progress: %", "101%", "[ 250%]", "1000%", "rate 5 % of 9",
    ])
    func noPercentageIsNil(line: String) {
        #expect(InstallerProgress.percent(in: line) == nil)
    }
}
