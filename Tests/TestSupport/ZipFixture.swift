import Foundation

/// ZIP archives for the tests, made by Python's zipfile (an independent writer), and changed
/// byte by byte into the hostile ones a reader must refuse.
public enum ZipFixture {
    /// Writes an archive at `path` holding `entries` (name, bytes) in that order, each stored
    /// or deflated.
    public static func write(_ path: String, _ entries: [(String, Data)], deflated: Bool = true) throws {
        let files = try TemporaryDirectory()
        var arguments = [path, deflated ? "deflated" : "stored"]
        for (index, entry) in entries.enumerated() {
            arguments += [entry.0, try files.write("entry-\(index)", entry.1)]
        }
        try Tool.run("python3", ["-c", """
            import sys, zipfile
            path, method, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
            kind = zipfile.ZIP_DEFLATED if method == "deflated" else zipfile.ZIP_STORED
            with zipfile.ZipFile(path, "w") as archive:
                for name, source in zip(rest[0::2], rest[1::2]):
                    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                    archive.writestr(info, open(source, "rb").read(), compress_type=kind)
            """] + arguments)
    }

    /// A sliced 3MF as Anycubic Slicer Next and OrcaSlicer export it: the plates' G-code
    /// (`Metadata/plate_<n>.gcode`, n from 1), each with its MD5 and a thumbnail, and the
    /// slicing information.
    public static func writeSliced(_ path: String, plates: [Data], deflated: Bool = true) throws {
        var entries: [(String, Data)] = [("[Content_Types].xml", Data("<Types/>".utf8)),
                                         ("Metadata/slice_info.config", Data("<config/>".utf8))]
        for (index, gcode) in plates.enumerated() {
            entries += [("Metadata/plate_\(index + 1).gcode", gcode),
                        ("Metadata/plate_\(index + 1).gcode.md5", Data(try md5Hex(gcode).utf8)),
                        ("Metadata/plate_\(index + 1).png", Data([0x89, 0x50, 0x4e, 0x47]))]
        }
        try write(path, entries, deflated: deflated)
    }

    /// Runs the Python statements `code` on the archive at `path`, whose bytes are the
    /// bytearray `data`, written back after. Helpers: `central(name)` and `local(name)`, the
    /// offsets of an entry's central directory record and local header; `eocd`, the offset of
    /// the end-of-central-directory record; `put16(at, value)` and `put32(at, value)`.
    public static func patch(_ path: String, _ code: String) throws {
        try Tool.run("python3", ["-c", """
            import struct, sys
            path = sys.argv[1]
            data = bytearray(open(path, "rb").read())
            def central(name):
                i = data.find(b"PK\\x01\\x02")
                while i >= 0:
                    length = struct.unpack_from("<H", data, i + 28)[0]
                    if data[i + 46:i + 46 + length] == name.encode():
                        return i
                    i = data.find(b"PK\\x01\\x02", i + 1)
                raise SystemExit("no entry " + name)
            def local(name):
                return struct.unpack_from("<I", data, central(name) + 42)[0]
            def put16(at, value):
                struct.pack_into("<H", data, at, value)
            def put32(at, value):
                struct.pack_into("<I", data, at, value)
            eocd = data.rfind(b"PK\\x05\\x06")
            \(code)
            open(path, "wb").write(data)
            """, path])
    }
}
