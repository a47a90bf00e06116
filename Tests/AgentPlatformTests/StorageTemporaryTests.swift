@testable import AgentPlatform
import AgentCore
import CLibc
import Foundation
import Testing
import TestSupport

/// Downloads land in a hidden temporary file of the root and are renamed into place whole.
@Suite struct StorageTemporaryTests {
    @Test func aTemporaryFileIsNeverListedAndIsRenamedIntoPlace() throws {
        let fixture = try StorageFixture()
        let (name, fd) = try fixture.root.createTemporary(id: "abc")
        defer { close(fd) }
        #expect(name == ".agent-download-abc.part")
        #expect(write(fd, "G28\n", 4) == 4)
        #expect(try !fixture.root.list(.root).map(\.name).contains(name))
        let models = try StoragePath(validating: "/models")
        try fixture.root.install(temporary: name, as: "new.gcode", in: models)
        #expect(try String(contentsOfFile: fixture.rootPath + "/models/new.gcode", encoding: .utf8) == "G28\n")
        #expect(!FileManager.default.fileExists(atPath: fixture.rootPath + "/" + name))
        var info = stat()
        #expect(stat(fixture.rootPath + "/models/new.gcode", &info) == 0 && info.st_mode & 0o777 == 0o644)
    }

    @Test func installReplacesAFileButNotADirectory() throws {
        let fixture = try StorageFixture()
        let (first, fd) = try fixture.root.createTemporary(id: "one")
        close(fd)
        try fixture.root.install(temporary: first, as: "model.gcode", in: .root)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.rootPath + "/model.gcode")).isEmpty)
        let (second, fd2) = try fixture.root.createTemporary(id: "two")
        close(fd2)
        let error = try #require(throws: StorageError.self) { try fixture.root.install(temporary: second, as: "models", in: .root) }
        #expect(error.code == StorageError.conflictCode)
        fixture.root.removeTemporary(second)
        #expect(!FileManager.default.fileExists(atPath: fixture.rootPath + "/" + second))
    }

    @Test func aTemporaryNameIsNeverReused() throws {
        let fixture = try StorageFixture()
        let (_, fd) = try fixture.root.createTemporary(id: "same")
        close(fd)
        #expect(throws: StorageError.self) { try fixture.root.createTemporary(id: "same") }
    }

    @Test func staleTemporariesAreRemovedAndNothingElse() throws {
        let fixture = try StorageFixture()
        for id in ["a", "b"] { close(try fixture.root.createTemporary(id: id).descriptor) }
        close(try fixture.root.createTemporary(id: "c", kind: .extraction).descriptor)
        _ = try fixture.writeInRoot(".agent-download-x.keep", "mine")
        _ = try fixture.writeInRoot(".agent-extract-y.part", "mine")
        let removed = fixture.root.removeStaleTemporaries().sorted()
        #expect(removed == [".agent-download-a.part", ".agent-download-b.part", ".agent-extract-c.gcode"])
        #expect(FileManager.default.fileExists(atPath: fixture.rootPath + "/.agent-download-x.keep"))
        #expect(FileManager.default.fileExists(atPath: fixture.rootPath + "/.agent-extract-y.part"))
        #expect(FileManager.default.fileExists(atPath: fixture.rootPath + "/model.gcode"))
    }

    @Test func theFreeSpaceIsMeasured() throws {
        let fixture = try StorageFixture()
        #expect(try fixture.root.availableBytes() > 0)
    }
}
