import AgentJSON

/// One entry of a directory listing, as the storage adapter found it.
public struct FileEntry: Equatable {
    /// The entry's name inside its directory (one component, no "/").
    public var name: String
    /// The size in bytes (0 for a directory).
    public var size: Int64
    /// The last modification time, in milliseconds since 1970.
    public var modifiedMs: Int64
    /// Whether the entry is a directory (else a regular file).
    public var isDirectory: Bool

    /// Creates an entry from its parts.
    public init(name: String, size: Int64, modifiedMs: Int64, isDirectory: Bool) {
        self.name = name
        self.size = size
        self.modifiedMs = modifiedMs
        self.isDirectory = isDirectory
    }

    /// Whether the name starts with "." (hidden files, and every temporary file the agent
    /// writes, which always has such a name): such entries are never listed.
    public var isHidden: Bool { name.utf8.first == UInt8(ascii: ".") }
}

/// Which slice of a listing a command asks for: the optional `page` (1-based) and `limit`
/// (entries per page) of the command's data.
public struct ListingPage: Equatable {
    /// Entries per page when the command does not say: keeps a reply well under the
    /// broker's message limits (about 30 KB for 200 records with long names).
    public static let defaultLimit = 200
    /// The largest page a command may ask for.
    public static let maxLimit = 1000
    /// The largest page number accepted (one that far is empty anyway).
    public static let maxPage = 2_147_483_647

    /// The page number, from 1.
    public var page: Int
    /// Entries per page, 1 to `maxLimit`.
    public var limit: Int

    /// The page `page` of `limit` entries.
    public init(page: Int = 1, limit: Int = ListingPage.defaultLimit) {
        self.page = page
        self.limit = limit
    }

    /// Reads `page` and `limit` from a command's data (an object, or null for the
    /// defaults). An absent or null member takes its default; a member of another type, a
    /// fraction or a number out of range is a `.badRequest` naming it.
    public static func read(from data: JSONValue) throws(CommandFailure) -> ListingPage {
        ListingPage(page: try number("page", in: data, default: 1, range: 1...maxPage),
                    limit: try number("limit", in: data, default: defaultLimit, range: 1...maxLimit))
    }

    /// Where this page starts among `total` entries, and how many it holds (0 past the end).
    public func slice(of total: Int) -> Range<Int> {
        let start = Int64(page - 1) * Int64(limit)
        if start >= Int64(total) { return total..<total }
        let first = Int(start)
        return first..<min(total, first + limit)
    }

    private static func number(_ key: String, in data: JSONValue, default value: Int,
                               range: ClosedRange<Int>) throws(CommandFailure) -> Int {
        guard let member = data[key] else { return value }
        switch member {
        case .null:
            return value
        case .number:
            let whole = member.int64Value
            if let whole, whole >= Int64(range.lowerBound), whole <= Int64(range.upperBound) { return Int(whole) }
            // Messages are concatenated, not interpolated: interpolation code is several
            // times larger in the Embedded build (and printing a Double pulls in its formatter).
            let got = whole.map { ", got " + String($0) } ?? ", got a fraction or a huge number"
            throw CommandFailure(.badRequest, "\"" + key + "\" must be a whole number from " + String(range.lowerBound)
                                 + " to " + String(range.upperBound) + got)
        default:
            throw CommandFailure(.badRequest, "\"" + key + "\" is " + member.typeName + ", expected a whole number")
        }
    }
}

/// Builds the data of a `file/listLocal` or `file/listUdisk` report from a directory's
/// entries: `{"records":[{"filename","size","timestamp","is_dir","file_location"}]}`, and
/// `"total": N, "page": P, "limit": L` when the command asked for a page (the firmware's
/// answer has `records` alone, and a client parser rejects keys it does not know). Pure.
public enum FileListing {
    /// The entries a client sees, in the order it sees them: hidden names left out,
    /// directories first, then newest first, ties by name (String order: by Unicode scalar
    /// values, which for the usual NFC names is byte order).
    public static func ordered(_ entries: [FileEntry]) -> [FileEntry] {
        entries.filter { !$0.isHidden }.sorted { left, right in
            if left.isDirectory != right.isDirectory { return left.isDirectory }
            if left.modifiedMs != right.modifiedMs { return left.modifiedMs > right.modifiedMs }
            return left.name < right.name
        }
    }

    /// The report data for `page` of `entries` (in any order, hidden ones included: they
    /// are left out here). `location` is the records' `file_location`: "local" or "udisk".
    /// `total` counts every visible entry, not just this page's; it and the page are
    /// there when `paged`.
    public static func reportData(_ entries: [FileEntry], page: ListingPage, location: String, paged: Bool = true) -> JSONValue {
        let visible = ordered(entries)
        var records: [JSONValue] = []
        let slice = page.slice(of: visible.count)
        records.reserveCapacity(slice.count)
        for entry in visible[slice] {
            records.append(.object(JSONObject([
                ("filename", .string(entry.name)),
                ("size", .int64(entry.size)),
                ("timestamp", .int64(entry.modifiedMs)),
                ("is_dir", .bool(entry.isDirectory)),
                ("file_location", .string(location)),
            ])))
        }
        var data = JSONObject([("records", .array(records))])
        if paged {
            data["total"] = .int(visible.count)
            data["page"] = .int(page.page)
            data["limit"] = .int(page.limit)
        }
        return .object(data)
    }
}
