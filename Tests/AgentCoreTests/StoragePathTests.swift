import AgentCore
import Testing

/// Paths and file names from the network, checked before anything touches the disk.
@Suite struct StoragePathTests {
    /// Valid paths and the components they come to.
    @Test(arguments: [
        ("", [String]()),
        ("/", []),
        ("//", []),
        ("///", []),
        ("models", ["models"]),
        ("/models", ["models"]),
        ("models/", ["models"]),
        ("/models//benchy/", ["models", "benchy"]),
        ("a//b///c", ["a", "b", "c"]),
        ("/etc/passwd", ["etc", "passwd"]),
        ("//etc/passwd", ["etc", "passwd"]),
        ("...", ["..."]),
        ("..a/a..", ["..a", "a.."]),
        (".hidden", [".hidden"]),
        ("..\\..\\x", ["..\\..\\x"]),
        ("a\\b/c", ["a\\b", "c"]),
        ("Modèles/日本語 ファイル", ["Modèles", "日本語 ファイル"]),
        ("%2e%2e/x", ["%2e%2e", "x"]),
        ("．．", ["．．"]),
        ("with space/ tab-free ", ["with space", " tab-free "]),
    ])
    func validPathsSplitIntoTheirComponents(text: String, components: [String]) throws {
        let path = try StoragePath(validating: text)
        #expect(path.components == components)
        #expect(path.isRoot == components.isEmpty)
    }

    @Test func aLeadingSlashMeansTheStorageRootNotTheFilesystemRoot() throws {
        #expect(try StoragePath(validating: "/") == .root)
        #expect(try StoragePath(validating: "") == .root)
        #expect(try StoragePath(validating: "/models") == StoragePath(validating: "models"))
        let path = try StoragePath(validating: "/models/benchy")
        #expect(path.relativeText == "models/benchy")
        #expect(path.displayText == "/models/benchy")
        #expect(StoragePath.root.relativeText == "")
        #expect(StoragePath.root.displayText == "/")
    }

    /// Invalid paths, and a piece of text the error message must contain.
    @Test(arguments: [
        ("..", "\"..\""),
        ("../x", "\"../x\""),
        ("/..", "\"/..\""),
        ("a/../../x", "\"a/../../x\""),
        ("a/..", "\"a/..\""),
        (".", "\".\""),
        ("./.", "\"./.\""),
        ("a/./b", "\"a/./b\""),
        ("a\u{0}b", "NUL"),
        ("\u{0}", "NUL"),
        ("a/\u{0}/..", "NUL"),
        ("a\nb", "control character (U+000A)"),
        ("a\tb", "control character (U+0009)"),
        ("a\u{7F}b", "control character (U+007F)"),
        ("a\u{85}b", "control character (U+0085)"),
        ("\u{1B}[31mred", "control character (U+001B)"),
    ])
    func invalidPathsAreBadRequestsNamingTheText(text: String, mentions: String) throws {
        let failure = try #require(pathFailure(text))
        #expect(failure.code == .badRequest)
        #expect(failure.message.contains(mentions), "\(failure.message)")
        #expect(!failure.message.utf8.contains(0), "a NUL would cut the report's C string: \(failure.message)")
    }

    @Test func dotComponentsAreNamedInTheMessage() throws {
        #expect(try #require(pathFailure("a/../x")).message == "path \"a/../x\" has a \"..\" component: nothing outside the storage can be named")
        #expect(try #require(pathFailure("a/./x")).message == "path \"a/./x\" has a \".\" component, which is not allowed")
    }

    @Test func controlCharactersAreEscapedInTheMessage() throws {
        #expect(try #require(pathFailure("a\u{0}b")).message == "path \"a\\x00b\" contains a NUL byte")
        #expect(try #require(pathFailure("a\u{7}b")).message == "path \"a\\x07b\" contains a control character (U+0007)")
    }

    @Test func aComponentMayHave255BytesNotMore() throws {
        let longest = String(repeating: "a", count: 255)
        #expect(try StoragePath(validating: "x/\(longest)/y").components == ["x", longest, "y"])
        let tooLong = String(repeating: "b", count: 256)
        let failure = try #require(pathFailure("x/\(tooLong)"))
        #expect(failure.code == .badRequest)
        #expect(failure.message.contains("is 256 bytes long, over the limit of 255"))
        #expect(failure.message.contains("\"bbbb"))
        #expect(failure.message.utf8.count < 200, "the offending text is shortened: \(failure.message)")
    }

    @Test func aComponentIsMeasuredInBytesNotCharacters() throws {
        let twoByteCharacters = String(repeating: "é", count: 128) // 256 bytes
        #expect(try #require(pathFailure(twoByteCharacters)).message.contains("256 bytes long"))
        let fits = String(repeating: "é", count: 127) // 254 bytes
        #expect(try StoragePath(validating: fits).components == [fits])
    }

    @Test func aPathMayHave4096BytesNotMore() throws {
        let component = String(repeating: "c", count: 255)
        var text = ""
        while text.utf8.count + 256 < 4096 { text += "/" + component }
        text += "/" + String(repeating: "d", count: 4096 - text.utf8.count - 1)
        #expect(text.utf8.count == 4096)
        #expect(try StoragePath(validating: text).components.count == 16)
        let failure = try #require(pathFailure(text + "e"))
        #expect(failure.code == .badRequest)
        #expect(failure.message.contains("is 4097 bytes long, over the limit of 4096"))
        #expect(failure.message.utf8.count < 200)
    }

    @Test func slashesAloneNeverExceedAnything() throws {
        #expect(try StoragePath(validating: String(repeating: "/", count: 4096)) == .root)
        #expect(pathFailure(String(repeating: "/", count: 4097)) != nil)
    }

    /// Valid file names are returned unchanged.
    @Test(arguments: ["a.gcode", "...", ".hidden", "a\\b", "名前.gcode", String(repeating: "n", count: 255), " "])
    func validFileNamesAreReturnedUnchanged(name: String) throws {
        #expect(try StoragePath.validatedName(name) == name)
    }

    /// Invalid file names, and a piece of text the error message must contain.
    @Test(arguments: [
        ("", "is empty"),
        ("/", "contains \"/\""),
        ("//", "contains \"/\""),
        ("a/b", "\"a/b\" contains \"/\""),
        ("/a", "contains \"/\""),
        ("a/", "contains \"/\""),
        ("../x", "contains \"/\""),
        ("..", "\"..\""),
        (".", "\".\""),
        ("a\u{0}b", "NUL"),
        ("a\rb", "control character"),
        (String(repeating: "n", count: 256), "256 bytes long"),
    ])
    func invalidFileNamesAreBadRequests(name: String, mentions: String) throws {
        let failure = try #require(nameFailure(name))
        #expect(failure.code == .badRequest)
        #expect(failure.message.hasPrefix("file name"), "\(failure.message)")
        #expect(failure.message.contains(mentions), "\(failure.message)")
    }

    @Test func appendingChecksTheName() throws {
        let base = try StoragePath(validating: "models")
        #expect(try base.appending("a.gcode").components == ["models", "a.gcode"])
        #expect(try base.appending("a.gcode").relativeText == "models/a.gcode")
        #expect(throws: CommandFailure.self) { try base.appending("..") }
        #expect(throws: CommandFailure.self) { try base.appending("x/y") }
        #expect(throws: CommandFailure.self) { try base.appending("") }
    }

    @Test func parentAndLastComponent() throws {
        let path = try StoragePath(validating: "/a/b/c.gcode")
        #expect(path.lastComponent == "c.gcode")
        #expect(path.parent == (try StoragePath(validating: "a/b")))
        #expect(try StoragePath(validating: "x").parent == .root)
        #expect(StoragePath.root.parent == nil)
        #expect(StoragePath.root.lastComponent == nil)
    }

    @Test func quotingEscapesControlsAndShortensLongText() {
        #expect(StoragePath.quoted("plain") == "\"plain\"")
        #expect(StoragePath.quoted("a\u{0}\u{1F}\u{9F}b") == "\"a\\x00\\x1F\\x9Fb\"")
        let quoted = StoragePath.quoted(String(repeating: "z", count: 1000))
        #expect(quoted.hasSuffix("…\""))
        #expect(quoted.utf8.count < 90)
        let multibyte = StoragePath.quoted(String(repeating: "日", count: 100))
        #expect(multibyte.hasSuffix("…\""), "cut at a character boundary")
    }

    /// The CommandFailure of validating `text` as a path, or nil (recorded) when it is valid.
    private func pathFailure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> CommandFailure? {
        do {
            let path = try StoragePath(validating: text)
            Issue.record("accepted \(text.debugDescription) as \(path.components)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// The CommandFailure of validating `text` as a file name, or nil (recorded) when it is valid.
    private func nameFailure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> CommandFailure? {
        do {
            let name = try StoragePath.validatedName(text)
            Issue.record("accepted \(name.debugDescription) as a file name", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}
