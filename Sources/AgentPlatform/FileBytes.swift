import CLibc

/// Positioned reads of a stretch of a file (`pread`, so the descriptor's offset is neither
/// used nor moved): the G-code window's head and tail, a ZIP archive's records.
public enum FileBytes {
    /// `count` bytes at `offset`, fewer when the file ends sooner (it shrank meanwhile);
    /// `name` names the file in errors.
    public static func read(_ descriptor: Int32, at offset: Int64, count: Int64,
                            name: String) throws(SystemError) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(count))
        var done = 0
        while done < bytes.count {
            guard let position = off_t(exactly: offset + Int64(done)) else {
                throw SystemError(call: "pread \(name)", errno: EOVERFLOW,
                                  message: "pread \(name): \(SystemError.describe(EOVERFLOW))")
            }
            let got = try retryingEINTR("pread \(name)") {
                bytes.withUnsafeMutableBytes { buffer in
                    pread(descriptor, buffer.baseAddress.map { $0 + done }, buffer.count - done, position)
                }
            }
            if got == 0 { break }
            done += got
        }
        if done < bytes.count { bytes.removeSubrange(done...) }
        return bytes
    }
}
