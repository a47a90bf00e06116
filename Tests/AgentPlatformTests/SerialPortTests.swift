import AgentPlatform
import CLibc
import Glibc
import Testing
import TestSupport

/// A pseudo-terminal owned by a test: the master is the controller's end of the line, the
/// slave's path is the port the agent opens. Both close when dropped.
private final class PseudoTerminalPair {
    let master: Int32
    let slavePath: String
    /// The slave, held open for the whole test (as the simulator does), so that the master
    /// never sees a hang-up and the tty's settings outlive the agent's descriptor.
    let slave: Int32

    init() throws {
        var master: Int32 = -1
        var slave: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        guard openpty(&master, &slave, &name, nil, nil) == 0 else {
            throw TestFailure("openpty: \(SystemError.describe(agent_errno()))")
        }
        self.master = master
        self.slave = slave
        slavePath = String(cString: name)
        guard agent_set_nonblocking(master) == 0 else { throw TestFailure("cannot make the master non-blocking") }
    }

    deinit {
        Glibc.close(slave)
        Glibc.close(master)
    }
}

/// Writes all of `bytes` to `descriptor`.
private func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
    let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw TestFailure("write: \(written) of \(bytes.count) bytes") }
}

/// Reads from the non-blocking `descriptor` until `count` bytes came, waiting in poll(2) for
/// each chunk; stops early when nothing comes for `timeout` milliseconds.
private func read(_ descriptor: Int32, count: Int, timeout: Int32 = 5_000) -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 256)
    while bytes.count < count {
        var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, timeout) > 0 else { break }
        let got = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if got > 0 {
            bytes += chunk[0..<got]
        } else if got == 0 || agent_errno() != EAGAIN {
            break
        }
    }
    return bytes
}

/// The termios settings of `descriptor`.
private func settings(_ descriptor: Int32) throws -> termios {
    var settings = termios()
    guard tcgetattr(descriptor, &settings) == 0 else { throw TestFailure("tcgetattr: \(SystemError.describe(agent_errno()))") }
    return settings
}

/// The error `body` throws (nil when it throws none).
private func thrownError(_ body: () throws(SystemError) -> Int32) -> SystemError? {
    do {
        let descriptor = try body()
        Glibc.close(descriptor)
        return nil
    } catch {
        return error
    }
}

/// The serial port, opened on a real pseudo-terminal.
@Suite struct SerialPortTests {
    @Test func thePortIsRawBothWays() throws {
        let pty = try PseudoTerminalPair()
        let port = try SerialPort.open(pty.slavePath, baud: 115200)
        defer { Glibc.close(port) }
        let fromController: [UInt8] = [UInt8(ascii: "o"), UInt8(ascii: "k"), 0x0D, 0x0A, 0x03, 0xFF, 0x11, 0x13, 0x7F, 0x00, 0x1A]
        try writeAll(pty.master, fromController)
        #expect(read(port, count: fromController.count) == fromController)
        let toController: [UInt8] = [UInt8(ascii: "N"), 0x0A, 0x0D, 0x03, 0xFF, 0x09, 0x04, 0x00]
        try writeAll(port, toController)
        #expect(read(pty.master, count: toController.count) == toController)
    }

    @Test func thePortIsSetUpAsAHostNeedsIt() throws {
        let pty = try PseudoTerminalPair()
        var hangingUp = try settings(pty.slave)
        hangingUp.c_cflag |= tcflag_t(HUPCL)
        #expect(tcsetattr(pty.slave, TCSANOW, &hangingUp) == 0)
        #expect(try settings(pty.slave).c_cflag & tcflag_t(HUPCL) != 0)
        let port = try SerialPort.open(pty.slavePath, baud: 115200)
        defer { Glibc.close(port) }
        let after = try settings(port)
        #expect(after.c_cflag & tcflag_t(HUPCL) == 0)
        #expect(after.c_cflag & tcflag_t(CLOCAL) != 0)
        #expect(after.c_cflag & tcflag_t(CREAD) != 0)
        #expect(after.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8))
        #expect(after.c_cflag & (tcflag_t(PARENB) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS)) == 0)
        #expect(after.c_iflag & (tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(ICRNL)) == 0)
        #expect(after.c_lflag & (tcflag_t(ICANON) | tcflag_t(ECHO) | tcflag_t(ISIG)) == 0)
        #expect(after.c_oflag & tcflag_t(OPOST) == 0)
        var copy = after
        withUnsafeBytes(of: &copy.c_cc) { characters in
            #expect(characters[Int(VMIN)] == 0)
            #expect(characters[Int(VTIME)] == 0)
        }
        #expect(cfgetospeed(&copy) == speed_t(B115200))
        #expect(cfgetispeed(&copy) == speed_t(B115200))
        #expect(fcntl(port, F_GETFL) & O_NONBLOCK != 0)
        #expect(fcntl(port, F_GETFD) & FD_CLOEXEC != 0)
    }

    @Test func closingThePortLeavesHupclCleared() throws {
        let pty = try PseudoTerminalPair()
        Glibc.close(try SerialPort.open(pty.slavePath, baud: 115200))
        #expect(try settings(pty.slave).c_cflag & tcflag_t(HUPCL) == 0)
    }

    @Test func twoHundredFiftyThousandBaudIsSetAsACustomRate() throws {
        let pty = try PseudoTerminalPair()
        let port = try SerialPort.open(pty.slavePath, baud: 250000)
        defer { Glibc.close(port) }
        var kernel = agent_termios2()
        let tcgets2: UInt = 0x802C_542A  // _IOR('T', 0x2A, struct termios2): 44 bytes
        #expect(ioctl(port, tcgets2, &kernel) == 0)
        #expect(kernel.c_ospeed == 250000)
        #expect(kernel.c_ispeed == 250000)
        #expect(kernel.c_cflag & tcflag_t(HUPCL) == 0)
        #expect(kernel.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8))
    }

    @Test func aSecondOpenOfTheSamePortFailsAsInUse() throws {
        let pty = try PseudoTerminalPair()
        let port = try SerialPort.open(pty.slavePath, baud: 115200)
        defer { Glibc.close(port) }
        let error = try #require(thrownError { () throws(SystemError) in try SerialPort.open(pty.slavePath, baud: 115200) })
        #expect(error.message.contains(pty.slavePath))
        #expect(error.message.contains("in use by another program"))
    }

    @Test func aMissingPortFailsNamingIt() throws {
        let path = "/dev/ttyMissing-\(getpid())"
        let error = try #require(thrownError { () throws(SystemError) in try SerialPort.open(path, baud: 115200) })
        #expect(error.message == "open \(path): No such file or directory")
        #expect(error.errno == ENOENT)
    }

    @Test func aFileThatIsNoTerminalIsRefused() throws {
        let error = try #require(thrownError { () throws(SystemError) in try SerialPort.open("/dev/null", baud: 115200) })
        #expect(error.message == "/dev/null is not a serial port")
    }

    @Test func anUnsupportedRateFailsClearly() throws {
        let pty = try PseudoTerminalPair()
        let error = try #require(thrownError { () throws(SystemError) in try SerialPort.open(pty.slavePath, baud: 12345) })
        #expect(error.message.contains(pty.slavePath))
        #expect(error.message.contains("12345 baud is not supported"))
        #expect(error.message.contains("250000"))
        // Nothing was left holding the port.
        Glibc.close(try SerialPort.open(pty.slavePath, baud: 115200))
    }

    @Test func supportedRates() {
        for baud in [9600, 19200, 38400, 57600, 115200, 230400, 250000, 460800, 500000, 576000, 921600, 1000000] {
            #expect(SerialPort.isSupported(baud: baud), "\(baud)")
        }
        for baud in [0, -1, 300, 12345, 2_000_000] {
            #expect(!SerialPort.isSupported(baud: baud), "\(baud)")
        }
    }
}
