import AgentPlatform
import Foundation
import Testing
import TestSupport

struct StateFileTests {
    @Test func writeMakesTheDirectoryAndReplacesTheContentsWholly() throws {
        let folder = try TemporaryDirectory()
        let file = StateFile(directory: folder.path + "/state", name: "last-task-id")
        #expect(file.read() == nil)
        try file.write("41\n")
        try file.write("42\n")
        #expect(file.read() == Array("42\n".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.path + "/state")
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/state") == ["last-task-id"],
                "no temporary file is left")
        file.remove()
        #expect(file.read() == nil)
        file.remove()
    }

    /// A rewrite (a key rotated by root) keeps the file's owner and permissions; a missing
    /// file is an error and stays missing.
    @Test func rewriteKeepsTheOwnerAndPermissions() throws {
        let folder = try TemporaryDirectory()
        let file = StateFile(directory: folder.path, name: "api-key")
        #expect(throws: SystemError.self) { try file.rewrite("x\n") }
        #expect(file.read() == nil)
        try file.write("old\n")
        try FileManager.default.setAttributes([.ownerAccountID: 65534, .groupOwnerAccountID: 65534, .posixPermissions: 0o640],
                                              ofItemAtPath: file.path)
        try file.rewrite("new\n")
        #expect(file.read() == Array("new\n".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect(attributes[.posixPermissions] as? Int == 0o640)
        #expect(attributes[.ownerAccountID] as? Int == 65534 && attributes[.groupOwnerAccountID] as? Int == 65534)
    }

    @Test func aDirectoryThatCannotBeMadeIsAnError() throws {
        let folder = try TemporaryDirectory()
        try folder.write("plain", "not a directory")
        let file = StateFile(directory: folder.path + "/plain/state", name: "x")
        #expect(throws: SystemError.self) { try file.write("1\n") }
    }
}
