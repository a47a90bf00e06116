import Foundation
@testable import PrinterAgent
import Testing
import TestSupport

/// Which files of the page's folder the server offers: plain files of a known type in the
/// folder itself, nothing hidden, nothing below it.
@Suite struct WebPageFilesTests {
    @Test func onlyTheFolderOwnFilesOfKnownTypesAreOffered() throws {
        let folder = try TemporaryDirectory()
        for name in ["index.html", "page.js", "page.css", "logo.svg", ".secret.js", "notes.md", "agent.conf", "js"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: folder.path + "/" + name))
        }
        try FileManager.default.createDirectory(atPath: folder.path + "/sub.js", withIntermediateDirectories: false)
        let files = WebPageFiles(folder: folder.path).files
        #expect(files.map(\.name).sorted() == ["index.html", "logo.svg", "page.css", "page.js"])
        #expect(files.first { $0.name == "page.js" }?.type == "text/javascript; charset=utf-8")
        #expect(files.first { $0.name == "logo.svg" }?.type == "image/svg+xml")
    }

    @Test func aMissingFolderOffersNothing() {
        #expect(WebPageFiles(folder: "/nonexistent/printer-page").files.isEmpty)
    }

    @Test(arguments: [(".js", nil), ("a.JS", nil), ("index.html", "text/html; charset=utf-8"), ("favicon.ico", "image/x-icon")])
    func typesComeFromTheEnding(name: String, type: String?) {
        #expect(WebPageFiles.contentType(of: name) == type)
    }
}
