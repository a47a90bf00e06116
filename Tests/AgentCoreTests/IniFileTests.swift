import AgentCore
import Testing

private func ini(_ text: String) throws(ConfigError) -> IniFile {
    try IniFile(parsing: text, path: "device.ini")
}

struct IniFileTests {
    @Test func sectionsKeysAndComments() throws {
        let file = try ini("""
        top = level
        ; a comment
        # another
        [device]
          env =  prod  
        zone=us
        [ cloud_us_prod ]
        url = https://x/?a=b
        empty =
        """)
        #expect(file.value("", "top") == "level")
        #expect(file.value("device", "env") == "prod")
        #expect(file.value("device", "zone") == "us")
        #expect(file.value("cloud_us_prod", "url") == "https://x/?a=b")
        #expect(file.value("cloud_us_prod", "empty") == "")
        #expect(file.value("device", "url") == nil)
        #expect(file.value("nowhere", "env") == nil)
    }

    @Test func firstValueWins() throws {
        #expect(try ini("[a]\nk = 1\nk = 2\n[a]\nk = 3").value("a", "k") == "1")
    }

    @Test func crlfLinesAreRead() throws {
        let file = try ini("[device]\r\nenv = test\r\n")
        #expect(file.value("device", "env") == "test")
    }

    @Test(arguments: [("[device\nenv = x", 1), ("[device]\nenv = x\n\nnot a pair", 4), ("[", 1)])
    func badLineNamesFileAndLine(text: String, line: Int) throws {
        let error = try #require(configError { _ = try ini(text) })
        #expect(error.origin == "device.ini:\(line)")
    }

    @Test func equalParsesCompareEntries() throws {
        #expect(try ini("[a]\nk = 1") == ini("[a]\n\n; c\nk=1"))
        #expect(try ini("[a]\nk = 1") != ini("[a]\nk = 2"))
    }
}
