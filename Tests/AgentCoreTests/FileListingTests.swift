import AgentCore
import AgentJSON
import Testing

/// The data of file/listLocal and file/listUdisk reports, built from directory entries.
@Suite struct FileListingTests {
    private func file(_ name: String, _ modifiedMs: Int64, size: Int64 = 10) -> FileEntry {
        FileEntry(name: name, size: size, modifiedMs: modifiedMs, isDirectory: false)
    }

    private func directory(_ name: String, _ modifiedMs: Int64) -> FileEntry {
        FileEntry(name: name, size: 0, modifiedMs: modifiedMs, isDirectory: true)
    }

    @Test func directoriesComeFirstThenNewestFirstThenByName() {
        let entries = [
            file("old.gcode", 1_000), directory("archive", 500), file("new.gcode", 9_000),
            directory("models", 7_000), file("b.gcode", 5_000), file("a.gcode", 5_000),
            directory("b-dir", 500),
        ]
        #expect(FileListing.ordered(entries).map(\.name)
                == ["models", "archive", "b-dir", "new.gcode", "a.gcode", "b.gcode", "old.gcode"])
    }

    @Test func hiddenNamesAndTheAgentsTemporaryFilesAreLeftOut() {
        let entries = [file(".hidden", 1), file(".agent-download-1234.tmp", 2), directory(".Trash-1000", 3),
                       file("shown.gcode", 4), file("._shown.gcode", 5), file("dot.in.middle", 6)]
        #expect(FileListing.ordered(entries).map(\.name) == ["dot.in.middle", "shown.gcode"])
        #expect(entries[1].isHidden)
        #expect(!entries[3].isHidden)
    }

    @Test func namesTieInUnicodeScalarOrder() {
        let entries = [file("b", 1), file("B", 1), file("é", 1), file("e", 1), file("a", 1)]
        #expect(FileListing.ordered(entries).map(\.name) == ["B", "a", "b", "e", "é"])
    }

    @Test func recordsCarryTheProtocolsFieldsWithTheirJSONTypes() throws {
        let big: Int64 = 5_000_000_000 // over 32 bits: sizes are Int64
        let entries = [file("benchy.gcode", 1_717_171_717_171, size: big), directory("models", 1_700_000_000_000)]
        let data = FileListing.reportData(entries, page: ListingPage(), location: "local")
        let text = JSONCodec.print(data)
        #expect(text == """
            {"records":[\
            {"filename":"models","size":0,"timestamp":1700000000000,"is_dir":true,"file_location":"local"},\
            {"filename":"benchy.gcode","size":5000000000,"timestamp":1717171717171,"is_dir":false,"file_location":"local"}],\
            "total":2,"page":1,"limit":200}
            """)
    }

    @Test func theLocationWordIsCopiedIntoEachRecord() throws {
        let data = FileListing.reportData([file("a", 1)], page: ListingPage(), location: "udisk")
        let records = try #require(data["records"])
        guard case .array(let items) = records else { Issue.record("records is not an array"); return }
        #expect(items.first?["file_location"] == .string("udisk"))
    }

    @Test func anEmptyDirectoryHasNoRecordsAndATotalOfZero() {
        let data = FileListing.reportData([], page: ListingPage(), location: "local")
        #expect(JSONCodec.print(data) == "{\"records\":[],\"total\":0,\"page\":1,\"limit\":200}")
        let onlyHidden = FileListing.reportData([file(".x", 1)], page: ListingPage(), location: "local")
        #expect(onlyHidden["total"] == .int(0))
    }

    @Test func pagesSliceTheOrderedListAndTheTotalCountsEverything() throws {
        let entries = (1...25).map { file("f\($0)", Int64($0)) } + [file(".hidden", 100)]
        func names(_ page: Int, _ limit: Int) -> [String] {
            let data = FileListing.reportData(entries, page: ListingPage(page: page, limit: limit), location: "local")
            #expect(data["total"] == .int(25))
            #expect(data["page"] == .int(page))
            #expect(data["limit"] == .int(limit))
            guard case .array(let records)? = data["records"] else { return [] }
            return records.compactMap { $0["filename"]?.stringValue }
        }
        #expect(names(1, 10) == (16...25).reversed().map { "f\($0)" })
        #expect(names(2, 10) == (6...15).reversed().map { "f\($0)" })
        #expect(names(3, 10) == (1...5).reversed().map { "f\($0)" })
        #expect(names(4, 10) == [])
        #expect(names(1, 1000).count == 25)
        #expect(names(ListingPage.maxPage, 1000) == [], "the last page number does not overflow")
    }

    @Test func slicesAreInRangeForEveryPage() {
        #expect(ListingPage(page: 1, limit: 200).slice(of: 0) == 0..<0)
        #expect(ListingPage(page: 1, limit: 200).slice(of: 10) == 0..<10)
        #expect(ListingPage(page: 2, limit: 5).slice(of: 10) == 5..<10)
        #expect(ListingPage(page: 3, limit: 5).slice(of: 10) == 10..<10)
        #expect(ListingPage(page: ListingPage.maxPage, limit: ListingPage.maxLimit).slice(of: 10) == 10..<10)
    }

    @Test func pageAndLimitDefaultWhenAbsentOrNull() throws {
        #expect(try ListingPage.read(from: .null) == ListingPage(page: 1, limit: 200))
        #expect(try ListingPage.read(from: JSONCodec.parse("{}")) == ListingPage(page: 1, limit: 200))
        #expect(try ListingPage.read(from: JSONCodec.parse("{\"path\":\"/\",\"page\":null,\"limit\":null}"))
                == ListingPage(page: 1, limit: 200))
        #expect(try ListingPage.read(from: JSONCodec.parse("{\"page\":3,\"limit\":50}")) == ListingPage(page: 3, limit: 50))
        #expect(try ListingPage.read(from: JSONCodec.parse("{\"limit\":1000}")) == ListingPage(page: 1, limit: 1000))
        #expect(try ListingPage.read(from: JSONCodec.parse("{\"page\":2.0}")) == ListingPage(page: 2, limit: 200))
    }

    /// Page data that is refused, and a piece of text the message must contain.
    @Test(arguments: [
        ("{\"page\":0}", "\"page\" must be a whole number from 1 to 2147483647, got 0"),
        ("{\"page\":-1}", "got -1"),
        ("{\"page\":1.5}", "got a fraction or a huge number"),
        ("{\"page\":\"2\"}", "\"page\" is a string, expected a whole number"),
        ("{\"page\":true}", "\"page\" is a boolean"),
        ("{\"page\":[1]}", "\"page\" is an array"),
        ("{\"page\":3000000000}", "got 3000000000"),
        ("{\"page\":1e300}", "\"page\" must be a whole number"),
        ("{\"limit\":0}", "\"limit\" must be a whole number from 1 to 1000, got 0"),
        ("{\"limit\":1001}", "got 1001"),
        ("{\"limit\":{}}", "\"limit\" is an object"),
        ("{\"limit\":\"all\"}", "\"limit\" is a string"),
    ])
    func badPageDataIsABadRequest(json: String, mentions: String) throws {
        do {
            let page = try ListingPage.read(from: JSONCodec.parse(json))
            Issue.record("accepted \(json) as \(page)")
        } catch let failure as CommandFailure {
            #expect(failure.code == .badRequest)
            #expect(failure.message.contains(mentions), "\(failure.message)")
        }
    }
}
