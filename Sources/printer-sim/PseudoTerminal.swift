import Glibc

/// The simulated serial port: a pseudo-terminal whose slave side the host opens through
/// a symlink, as it would open /dev/ttyUSB0. The simulator keeps a descriptor of the
/// slave open itself, so the master never sees a hang-up when the host closes the port
/// and opens it again.
final class PseudoTerminal {
    /// The master side, the simulator's end of the line (the caller owns it and closes it).
    let master: Int32
    /// The slave's device path (`/dev/pts/N`).
    let slavePath: String
    private let heldSlave: Int32

    /// Opens a pseudo-terminal with the slave in raw mode (no echo, no line editing, no
    /// newline translation), like a USB serial port.
    init() throws {
        // posix_openpt, grantpt, unlockpt and ptsname_r are only declared with
        // _XOPEN_SOURCE, which Swift's Glibc module is not built with: look them up.
        let openpt: (@convention(c) (Int32) -> Int32)? = libcFunction("posix_openpt")
        let grant: (@convention(c) (Int32) -> Int32)? = libcFunction("grantpt")
        let unlock: (@convention(c) (Int32) -> Int32)? = libcFunction("unlockpt")
        let name: (@convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32)? = libcFunction("ptsname_r")
        guard let openpt, let grant, let unlock, let name else {
            throw SystemError(message: "the C library has no posix_openpt/grantpt/unlockpt/ptsname_r")
        }
        master = openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw SystemError("posix_openpt") }
        var buffer = [CChar](repeating: 0, count: 128)
        guard grant(master) == 0, unlock(master) == 0, name(master, &buffer, buffer.count) == 0 else {
            let error = SystemError("pseudo-terminal setup")
            close(master)
            throw error
        }
        slavePath = String(cString: buffer)
        heldSlave = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard heldSlave >= 0 else {
            let error = SystemError("open \(slavePath)")
            close(master)
            throw error
        }
        var settings = termios()
        tcgetattr(heldSlave, &settings)
        cfmakeraw(&settings)
        tcsetattr(heldSlave, TCSANOW, &settings)
    }

    deinit {
        close(heldSlave)
    }

    /// Makes `path` a symlink to the slave, replacing an earlier symlink (but nothing else).
    func link(at path: String) throws {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFLNK else {
                throw SystemError(message: "--link \(path): exists and is not a symlink")
            }
            guard Glibc.unlink(path) == 0 else { throw SystemError("unlink \(path)") }
        }
        guard symlink(slavePath, path) == 0 else { throw SystemError("symlink \(path)") }
    }

    /// Removes the symlink at `path` if it still points to this terminal.
    func removeLink(at path: String) {
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink(path, &target, target.count - 1)
        guard length > 0 else { return }
        target[length] = 0
        if String(cString: target) == slavePath { Glibc.unlink(path) }
    }
}

/// The C library function `name`, looked up in the running process, as a function of type `T`.
private func libcFunction<T>(_ name: String) -> T? {
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
    return unsafeBitCast(symbol, to: T.self)
}
