@testable import AgentPlatform
import AgentCore
import CLibc
import Foundation
import Testing
import TestSupport

/// Listing, deleting and opening files inside a storage root, on real directories.
@Suite struct StorageRootTests {
    @Test func listsRegularFilesAndDirectoriesWithSizeAndMillisecondTimes() throws {
        let fixture = try StorageFixture()
        try fixture.writeInRoot("models/benchy.gcode", "G28\nG1 X10\n")
        try fixture.makeDirectoryInRoot("models/parts")
        try fixture.setModified("root/models/benchy.gcode", seconds: 1_700_000_000, nanoseconds: 123_456_789)
        try fixture.setModified("root/models/parts", seconds: 1_600_000_000, nanoseconds: 999_999_999)
        let entries = try fixture.root.list(StoragePath(validating: "/models")).sorted { $0.name < $1.name }
        #expect(entries == [
            FileEntry(name: "benchy.gcode", size: 11, modifiedMs: 1_700_000_000_123, isDirectory: false),
            FileEntry(name: "parts", size: 0, modifiedMs: 1_600_000_000_999, isDirectory: true),
        ])
    }

    @Test func missingDirectoriesAreMadeInsideTheRootOnly() throws {
        let fixture = try StorageFixture()
        try fixture.root.makeDirectories(StoragePath(validating: "models/new/deeper"))
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: fixture.rootPath + "/models/new/deeper", isDirectory: &isDirectory)
                && isDirectory.boolValue)
        try fixture.root.makeDirectories(StoragePath(validating: "models/new"))  // there already: nothing to do
        for through in ["to-outside/made", "to-outside-relative/made", "to-slash/tmp/made", "model.gcode/made"] {
            #expect(throws: StorageError.self, "\(through)") { try fixture.root.makeDirectories(StoragePath(validating: through)) }
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.base + "/outside/made"), "nothing made through a link")
    }

    @Test func theRootIsListedForEmptyAndSlashPaths() throws {
        let fixture = try StorageFixture()
        let expected = ["empty", "full", "hardlink.gcode", "model.gcode", "models"]
        #expect(try fixture.root.list(.root).map(\.name).sorted() == expected)
        #expect(try fixture.root.list(StoragePath(validating: "/")).map(\.name).sorted() == expected)
        #expect(try fixture.root.list(StoragePath(validating: "//")).map(\.name).sorted() == expected)
    }

    @Test func hiddenEntriesLinksFIFOsAndSocketsAreNotListed() throws {
        let fixture = try StorageFixture()
        try fixture.writeInRoot(".hidden.gcode", "x")
        try fixture.writeInRoot(".agent-download.tmp", "x")
        try fixture.makeDirectoryInRoot(".Trash-1000")
        let socketPath = fixture.rootPath + "/socket"
        let socketFD = try bindUnixSocket(socketPath)
        defer { close(socketFD) }
        let names = try fixture.root.list(.root).map(\.name)
        for absent in [".hidden.gcode", ".agent-download.tmp", ".Trash-1000", "fifo", "socket", "to-slash",
                       "to-parent", "to-outside", "to-outside-relative", "to-sentinel", "loop-a", "loop-b", "self-loop"] {
            #expect(!names.contains(absent), "\(absent) listed")
        }
    }

    @Test func aDirectoryOfManyReadsIsListedWhole() throws {
        let fixture = try StorageFixture()
        try fixture.makeDirectoryInRoot("many")
        let names = (0..<3000).map { "print-job-with-a-rather-long-name-number-\($0).gcode" }
        for name in names {
            #expect(FileManager.default.createFile(atPath: fixture.rootPath + "/many/" + name, contents: nil))
        }
        let listed = try fixture.root.list(StoragePath(validating: "many")).map(\.name)
        #expect(listed.count == 3000)
        #expect(Set(listed) == Set(names))
    }

    @Test func aFileOver4GiBHasItsExact64BitSize() throws {
        let fixture = try StorageFixture()
        let path = try fixture.writeInRoot("huge.gcode", "")
        #expect(truncate(path, 5_000_000_123) == 0, "truncate: errno \(errno)")
        let entry = try #require(try fixture.root.list(.root).first { $0.name == "huge.gcode" })
        #expect(entry.size == 5_000_000_123)
    }

    @Test func namesThatAreNotUTF8AreListedRepaired() throws {
        let fixture = try StorageFixture()
        let raw: [UInt8] = Array("bad-".utf8) + [0xFF, 0xFE] + Array(".gcode".utf8)
        let path = (Array((fixture.rootPath + "/").utf8) + raw + [0]).map { CChar(bitPattern: $0) }
        let fd = creat(path, 0o644)
        #expect(fd >= 0)
        close(fd)
        let names = try fixture.root.list(.root).map(\.name)
        #expect(names.contains("bad-\u{FFFD}\u{FFFD}.gcode"))
    }

    @Test func aMissingDirectoryIsNotFoundAndAFileIsNotADirectory() throws {
        let fixture = try StorageFixture()
        let missing = try #require(storageError { try fixture.root.list(StoragePath(validating: "models/none")) })
        #expect(missing.code == ReplyCode(404))
        #expect(missing.message == "\"/models/none\" does not exist")
        let file = try #require(storageError { try fixture.root.list(StoragePath(validating: "model.gcode/x")) })
        #expect(file.code == .badRequest)
        #expect(file.message == "\"/model.gcode\" is not a directory")
    }

    @Test func aMissingRootIsUnavailableWithoutNamingItsPath() throws {
        let fixture = try StorageFixture()
        let root = StorageRoot(path: fixture.base + "/no-such-root", label: "the USB stick")
        #expect(!root.isAvailable)
        let error = try #require(storageError { try root.list(.root) })
        #expect(error.code == ReplyCode(503))
        #expect(error.message == "the USB stick is not available (No such file or directory)")
        #expect(!error.message.contains(fixture.base))
        #expect(fixture.root.isAvailable)
    }

    @Test func aRootGivenWithTrailingSlashesWorks() throws {
        let fixture = try StorageFixture()
        let root = StorageRoot(path: fixture.rootPath + "//")
        #expect(root.path == fixture.rootPath)
        #expect(try root.list(.root).count == 5)
        #expect(StorageRoot(path: "/").path == "/")
    }

    @Test func deletesAFileAndAnEmptyDirectory() throws {
        let fixture = try StorageFixture()
        try fixture.root.delete(StoragePath(validating: "models"), name: "benchy.gcode", inUse: { _ in false })
        #expect(!fixture.exists("root/models/benchy.gcode"))
        try fixture.root.delete(.root, name: "empty", inUse: { _ in false })
        #expect(!fixture.exists("root/empty"))
        #expect(fixture.exists("root/models"))
    }

    @Test func aDirectoryThatIsNotEmptyIsRefusedWith409() throws {
        let fixture = try StorageFixture()
        let error = try #require(storageError { try fixture.root.delete(.root, name: "full", inUse: { _ in false }) })
        #expect(error.code == ReplyCode(409))
        #expect(error.message == "directory \"/full\" is not empty: delete what it holds first")
        #expect(fixture.exists("root/full/keep.gcode"))
    }

    @Test func theFileBeingPrintedIsRefusedWith409AndAskedByItsPathBelowTheRoot() throws {
        let fixture = try StorageFixture()
        var asked: [String] = []
        let error = try #require(storageError {
            try fixture.root.delete(StoragePath(validating: "/models/"), name: "benchy.gcode") { path in
                asked.append(path)
                return path == "models/benchy.gcode"
            }
        })
        #expect(asked == ["models/benchy.gcode"])
        #expect(error.code == ReplyCode(409))
        #expect(error.message == "\"/models/benchy.gcode\" is being printed: stop the print before deleting it")
        #expect(fixture.exists("root/models/benchy.gcode"))
    }

    @Test func aDirectoryIsNeverAskedAboutPrinting() throws {
        let fixture = try StorageFixture()
        try fixture.root.delete(.root, name: "empty", inUse: { path in
            Issue.record("asked about \(path)")
            return true
        })
        #expect(!fixture.exists("root/empty"))
    }

    @Test func deletingWhatIsNotThereIsNotFound() throws {
        let fixture = try StorageFixture()
        let error = try #require(storageError { try fixture.root.delete(.root, name: "gone.gcode", inUse: { _ in false }) })
        #expect(error.code == ReplyCode(404))
        #expect(error.message == "\"/gone.gcode\" does not exist")
    }

    @Test func deletingALinkRemovesTheLinkNotItsTarget() throws {
        let fixture = try StorageFixture()
        try fixture.root.delete(.root, name: "to-sentinel", inUse: { _ in false })
        #expect(!fixture.exists("root/to-sentinel"))
        #expect(try fixture.sentinelIsIntact())
    }

    @Test func opensARegularFileReadOnly() throws {
        let fixture = try StorageFixture()
        let fd = try fixture.root.openFile(StoragePath(validating: "models"), name: "benchy.gcode")
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) == "inside benchy")
        #expect(fcntl(fd, F_GETFL) & O_ACCMODE == O_RDONLY)
        #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0)
        #expect(write(fd, "x", 1) == -1, "read-only")
    }

    @Test func openingADirectoryALinkOrAFIFOIsRefusedWithoutBlocking() throws {
        let fixture = try StorageFixture()
        for (name, message) in [("models", "\"/models\" is not a regular file"),
                                ("to-sentinel", "\"/to-sentinel\" is a symbolic link: links are not followed"),
                                ("fifo", "\"/fifo\" is not a regular file")] {
            let error = try #require(storageError { try fixture.root.openFile(.root, name: name) })
            #expect(error.code == .badRequest)
            #expect(error.message == message)
        }
        let missing = try #require(storageError { try fixture.root.openFile(.root, name: "none.gcode") })
        #expect(missing.code == ReplyCode(404))
    }

    @Test func noDescriptorIsLeftOpenByAnyOperation() throws {
        let fixture = try StorageFixture()
        let before = try openDescriptorCount()
        for _ in 0..<20 {
            _ = try? fixture.root.list(.root)
            _ = try? fixture.root.list(StoragePath(validating: "models/to-outside/secret"))
            _ = try? fixture.root.list(StoragePath(validating: "models/none"))
            _ = try? fixture.root.delete(StoragePath(validating: "models"), name: "none", inUse: { _ in false })
            _ = try? fixture.root.delete(.root, name: "full", inUse: { _ in false })
            _ = try? fixture.root.openFile(.root, name: "fifo")
            if let fd = try? fixture.root.openFile(.root, name: "model.gcode") { close(fd) }
            _ = fixture.root.isAvailable
        }
        // Other tests run in parallel and open descriptors too: allow some slack, not 20 × 7.
        #expect(try openDescriptorCount() - before < 20)
    }

    @Test func anEntryThatVanishesBetweenReaddirAndStatIsSkipped() throws {
        let fixture = try StorageFixture()
        try fixture.writeInRoot("models/vanishing.gcode", "x")
        var removed = false
        let entries = try fixture.root.list(StoragePath(validating: "models"), afterOpening: {}, beforeDescribing: { name in
            if String(cString: name) == "vanishing.gcode" {
                removed = unlink(fixture.rootPath + "/models/vanishing.gcode") == 0
            }
        })
        #expect(removed)
        #expect(entries.map(\.name).sorted() == ["benchy.gcode"])
    }

    @Test func aDirectoryRemovedWhileBeingListedEndsWithAnError() throws {
        let fixture = try StorageFixture()
        let error = try #require(storageError {
            try fixture.root.list(StoragePath(validating: "empty"), afterOpening: {
                #expect(rmdir(fixture.rootPath + "/empty") == 0)
            }, beforeDescribing: { _ in })
        })
        #expect(error.code == ReplyCode(404))
        #expect(error.message == "\"/empty\" was removed while it was being listed")
    }

    /// A stick pulled out mid-listing, made real: an ext2 filesystem on a loop device whose
    /// backing file is cut to nothing once the directory is open, so that reading it fails
    /// with EIO in the kernel. As root it needs losetup and mkfs.ext2: without them it fails.
    @Test(Root.required(reason: "mounts an ext2 image on a loop device"))
    func aStickPulledOutMidListingEndsWithAnIOErrorNotACrashOrAHang() throws {
        let fixture = try StorageFixture()
        let image = fixture.base + "/stick.img"
        let stick = fixture.base + "/stick"
        #expect(FileManager.default.createFile(atPath: image, contents: nil))
        #expect(truncate(image, 8 << 20) == 0)
        try Tool.run("mkfs.ext2", ["-q", "-F", image])
        let device = try Tool.run("losetup", ["-f", "--show", image]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer {
            fixture.unmountAll()
            _ = try? Tool.run("losetup", ["-d", device])
        }
        try FileManager.default.createDirectory(atPath: stick, withIntermediateDirectories: true)
        try fixture.mount([device, stick])
        try FileManager.default.createDirectory(atPath: stick + "/gcodes", withIntermediateDirectories: true)
        for index in 0..<300 {
            #expect(FileManager.default.createFile(atPath: stick + "/gcodes/part-\(index).gcode", contents: Data("G28\n".utf8)))
        }
        // Mount afresh so that the directory's blocks are not in the cache.
        try fixture.unmount(stick)
        try fixture.mount([device, stick])

        let root = StorageRoot(path: stick, label: "the USB stick")
        let started = Date()
        let error = try #require(storageError {
            try root.list(StoragePath(validating: "gcodes"), afterOpening: {
                #expect(truncate(image, 0) == 0)
                #expect((try? Tool.run("losetup", ["-c", device])) != nil, "losetup -c failed")
            }, beforeDescribing: { _ in })
        })
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(error.code == ReplyCode(500))
        #expect(error.errno == EIO)
        #expect(error.message == "cannot read \"/gcodes\": input/output error (was the USB stick removed?)")
        // The next command on the dead stick fails cleanly too.
        let next = try #require(storageError { try root.list(StoragePath(validating: "gcodes")) })
        #expect([ReplyCode(500), ReplyCode(503)].contains(next.code), "\(next.message)")
    }

    /// The StorageError `body` throws, or nil (recorded as a failure) when it throws nothing.
    private func storageError<T>(sourceLocation: SourceLocation = #_sourceLocation,
                                 _ body: () throws -> T) -> StorageError? {
        do {
            let value = try body()
            Issue.record("succeeded with \(value) instead of failing", sourceLocation: sourceLocation)
            return nil
        } catch let error as StorageError {
            return error
        } catch {
            Issue.record("threw \(error), not a StorageError", sourceLocation: sourceLocation)
            return nil
        }
    }

    private func openDescriptorCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }

    private func bindUnixSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestFailure("socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw TestFailure("bind \(path): errno \(errno)") }
        return fd
    }
}

/// A temporary directory holding a storage root and, beside it, sentinel files the tests
/// prove untouched. Layout (T is the temporary directory):
///
///     T/OUTSIDE-BESIDE.txt                 sentinel beside the root
///     T/outside/OUTSIDE-SENTINEL.txt       sentinel in a sibling directory
///     T/outside/OUTSIDE-HARDLINKED.txt     also reachable as root/hardlink.gcode
///     T/outside/secret/OUTSIDE-SECRET.txt
///     T/root/model.gcode, models/benchy.gcode, empty/, full/keep.gcode, hardlink.gcode, fifo
///     T/root/to-slash -> /                 T/root/to-parent -> ..
///     T/root/to-outside -> T/outside       T/root/to-outside-relative -> ../outside
///     T/root/to-sentinel -> T/outside/OUTSIDE-SENTINEL.txt
///     T/root/models/to-outside -> ../../outside   (a link in the middle of a path)
///     T/root/loop-a -> loop-b, loop-b -> loop-a, self-loop -> self-loop
///
/// Mounts made with `mount(_:)` are undone by `unmountAll()` and, at the latest, when the
/// fixture goes (before its directory is removed).
final class StorageFixture {
    let directory: TemporaryDirectory
    /// T.
    var base: String { directory.path }
    /// T/root.
    var rootPath: String { base + "/root" }
    /// The storage root under test.
    let root: StorageRoot
    /// The names of everything outside the root, which must never be read or deleted.
    static let outsideNames = ["OUTSIDE-BESIDE.txt", "OUTSIDE-SENTINEL.txt", "OUTSIDE-HARDLINKED.txt",
                               "OUTSIDE-SECRET.txt", "outside", "secret"]
    private var mounts: [String] = []

    init() throws {
        directory = try TemporaryDirectory()
        let base = directory.path
        try directory.write("OUTSIDE-BESIDE.txt", "beside")
        try directory.write("outside/OUTSIDE-SENTINEL.txt", "sentinel")
        try directory.write("outside/OUTSIDE-HARDLINKED.txt", "hardlinked")
        try directory.write("outside/secret/OUTSIDE-SECRET.txt", "secret")
        try directory.write("root/model.gcode", "inside model")
        try directory.write("root/models/benchy.gcode", "inside benchy")
        try directory.write("root/full/keep.gcode", "keep")
        let files = FileManager.default
        try files.createDirectory(atPath: base + "/root/empty", withIntermediateDirectories: false)
        try files.linkItem(atPath: base + "/outside/OUTSIDE-HARDLINKED.txt", toPath: base + "/root/hardlink.gcode")
        guard mkfifo(base + "/root/fifo", 0o644) == 0 else { throw TestFailure("mkfifo: errno \(errno)") }
        let links = [("to-slash", "/"), ("to-parent", ".."), ("to-outside", base + "/outside"),
                     ("to-outside-relative", "../outside"), ("to-sentinel", base + "/outside/OUTSIDE-SENTINEL.txt"),
                     ("models/to-outside", "../../outside"), ("loop-a", "loop-b"), ("loop-b", "loop-a"),
                     ("self-loop", "self-loop")]
        for (name, target) in links {
            try files.createSymbolicLink(atPath: base + "/root/" + name, withDestinationPath: target)
        }
        root = StorageRoot(path: base + "/root")
    }

    deinit { unmountAll() }

    /// Writes `text` to `relative` inside the root and returns the file's path.
    @discardableResult
    func writeInRoot(_ relative: String, _ text: String) throws -> String {
        try directory.write("root/" + relative, text)
    }

    /// Makes the directory `relative` inside the root.
    func makeDirectoryInRoot(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: rootPath + "/" + relative, withIntermediateDirectories: true)
    }

    /// Sets the modification time of `relative` (to T) exactly, without following a link.
    func setModified(_ relative: String, seconds: Int, nanoseconds: Int) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        guard utimensat(AT_FDCWD, base + "/" + relative, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw TestFailure("utimensat \(relative): errno \(errno)")
        }
    }

    /// Whether `relative` (to T) exists, without following a link at its end.
    func exists(_ relative: String) -> Bool {
        var info = stat()
        return lstat(base + "/" + relative, &info) == 0
    }

    /// Whether the sentinel beside the root and the one in the sibling directory still hold
    /// what they were written with.
    func sentinelIsIntact() throws -> Bool {
        (try? String(contentsOfFile: base + "/outside/OUTSIDE-SENTINEL.txt", encoding: .utf8)) == "sentinel"
            && (try? String(contentsOfFile: base + "/OUTSIDE-BESIDE.txt", encoding: .utf8)) == "beside"
            && (try? String(contentsOfFile: base + "/outside/secret/OUTSIDE-SECRET.txt", encoding: .utf8)) == "secret"
            && (try? String(contentsOfFile: base + "/outside/OUTSIDE-HARDLINKED.txt", encoding: .utf8)) == "hardlinked"
    }

    /// Everything under T, without following links and without entering mounts made by the
    /// test: relative path → "dir", "file:<content>", "link:<target>" or "other".
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ relative: String) throws {
            let path = relative.isEmpty ? base : base + "/" + relative
            for name in try FileManager.default.contentsOfDirectory(atPath: path) {
                let child = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(base + "/" + child, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    result[child] = "dir"
                    if !mounts.contains(base + "/" + child) { try walk(child) }
                case S_IFREG:
                    result[child] = "file:" + ((try? String(contentsOfFile: base + "/" + child, encoding: .utf8)) ?? "?")
                case S_IFLNK:
                    result[child] = "link:" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: base + "/" + child)) ?? "?")
                default:
                    result[child] = "other"
                }
            }
        }
        try walk("")
        return result
    }

    /// Runs `mount` with `arguments`, the last one being the mount point; throws (the test
    /// fails) when mounting is not possible here. Tests that mount skip without root
    /// (`Root.required`).
    func mount(_ arguments: [String]) throws {
        guard let point = arguments.last else { throw TestFailure("mount needs a mount point") }
        try Tool.run("mount", arguments)
        mounts.append(point)
    }

    /// Unmounts `point`, mounted by `mount(_:)`.
    /// Unmounts `point`, waiting while it is busy: a process that probes a new filesystem
    /// (udev's blkid) can hold it for a moment.
    func unmount(_ point: String) throws {
        var lastError: Error?
        try waitUntil("umount \(point) (last: \(String(describing: lastError)))", timeout: 10) {
            do {
                try Tool.run("umount", [point])
                return true
            } catch {
                lastError = error
                return false
            }
        }
        mounts.removeAll { $0 == point }
    }

    /// Undoes every mount of the test, newest first (lazily if it is busy).
    func unmountAll() {
        for point in mounts.reversed() where (try? Tool.run("umount", [point])) == nil {
            _ = try? Tool.run("umount", ["-l", point])
        }
        mounts = []
    }
}
