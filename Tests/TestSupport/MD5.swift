import Foundation

/// The MD5 of `data` in hex, by `md5sum` (the tests check the agent against another tool).
public func md5Hex(_ data: Data) throws -> String {
    let directory = try TemporaryDirectory()
    let path = try directory.write("file", data)
    let pipe = Pipe()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try Executables.find("md5sum"))
    process.arguments = [path]
    process.standardOutput = pipe
    try process.run()
    process.waitUntilExit()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return String(output.prefix(32))
}
