import Glibc

/// Reads inputs from disk, for replaying fuzz inputs outside libFuzzer (the fuzz
/// executables' normal build and the corpus tests).
public enum FuzzFiles {
    /// The file at `path` whole, or nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[..<count]
            if count < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }

    /// The regular files in the directory `path`, sorted by name (hidden ones left out);
    /// `[path]` itself when it is not a directory.
    public static func expand(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if entry.pointee.d_type == UInt8(DT_REG), !name.hasPrefix(".") { names.append(path + "/" + name) }
        }
        return names.sorted()
    }
}
