import CLibc

/// Opens the serial port of a Marlin-style controller board, ready for `StreamChannel`:
/// exclusive, raw 8N1 without flow control, non-blocking, at a standard rate.
///
/// Many boards reset when DTR changes, and a reset kills a running print. The port is
/// therefore set with HUPCL cleared, so that closing it (or the agent dying) leaves DTR as it
/// is, and the modem lines are never set (no TIOCMSET, TIOCMBIS or TIOCMBIC). Linux itself
/// raises DTR when a port that was closed with HUPCL set is opened; nothing can prevent that.
public enum SerialPort {
    /// The rates the agent supports, the standard ones from 9600 to 1000000 (Marlin boards
    /// use 115200 or 250000), each with its termios constant; 250000 has none in glibc and is
    /// set as a custom rate.
    static let rates: [(baud: Int, constant: speed_t?)] = [
        (9600, speed_t(B9600)), (19200, speed_t(B19200)), (38400, speed_t(B38400)), (57600, speed_t(B57600)),
        (115200, speed_t(B115200)), (230400, speed_t(B230400)), (250000, nil), (460800, speed_t(B460800)),
        (500000, speed_t(B500000)), (576000, speed_t(B576000)), (921600, speed_t(B921600)),
        (1000000, speed_t(B1000000)),
    ]

    /// Whether `open` accepts `baud` (for the configuration check).
    public static func isSupported(baud: Int) -> Bool { rates.contains { $0.baud == baud } }

    /// Opens the port at `path` at `baud` bits per second and returns its descriptor
    /// (non-blocking, close-on-exec; the caller owns it). Fails with an error naming the path
    /// when the rate is not supported, the port cannot be opened, another program holds it,
    /// or it is not a serial port.
    public static func open(_ path: String, baud: Int) throws(SystemError) -> Int32 {
        guard let rate = rates.first(where: { $0.baud == baud }) else {
            let supported = rates.map { String($0.baud) }.joined(separator: ", ")
            throw SystemError(call: "open \(path)", errno: EINVAL,
                              message: "\(path): \(baud) baud is not supported (supported: \(supported))")
        }
        let descriptor: Int32
        do throws(SystemError) {
            descriptor = try retryingEINTR("open \(path)") {
                agent_open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
            }
        } catch {
            throw error.errno == EBUSY ? inUse(path, by: error) : error
        }
        do throws(SystemError) {
            guard isatty(descriptor) == 1 else {
                throw SystemError(call: "open \(path)", errno: ENOTTY, message: "\(path) is not a serial port")
            }
            try lock(descriptor, path: path)
            try configure(descriptor, path: path, baud: baud, constant: rate.constant)
            return descriptor
        } catch {
            _ = close(descriptor)
            throw error
        }
    }

    /// Takes the port for this process alone: an advisory lock (the convention of serial
    /// programs such as pyserial and minicom) and the tty's exclusive mode.
    private static func lock(_ descriptor: Int32, path: String) throws(SystemError) {
        do throws(SystemError) {
            _ = try retryingEINTR("flock \(path)") { flock(descriptor, LOCK_EX | LOCK_NB) }
        } catch {
            throw error.errno == EWOULDBLOCK ? inUse(path, by: error) : error
        }
        _ = try retryingEINTR("ioctl TIOCEXCL \(path)") { agent_serial_exclusive(descriptor) }
    }

    /// Makes the port raw 8N1 at `baud` (whose termios `constant` is nil for a custom rate),
    /// without flow control, with reads that return at once, and DTR left alone on close
    /// (HUPCL cleared).
    private static func configure(_ descriptor: Int32, path: String, baud: Int, constant: speed_t?) throws(SystemError) {
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else { throw SystemError.fromErrno("tcgetattr \(path)") }
        cfmakeraw(&settings)
        settings.c_cflag &= ~(tcflag_t(CSIZE) | tcflag_t(PARENB) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS)
            | tcflag_t(HUPCL))
        settings.c_cflag |= tcflag_t(CS8) | tcflag_t(CLOCAL) | tcflag_t(CREAD)
        settings.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
        withUnsafeMutableBytes(of: &settings.c_cc) { characters in
            characters[Int(VMIN)] = 0
            characters[Int(VTIME)] = 0
        }
        if let constant {
            guard cfsetispeed(&settings, constant) == 0, cfsetospeed(&settings, constant) == 0 else {
                throw SystemError.fromErrno("cfsetspeed \(path) \(baud)")
            }
        }
        _ = try retryingEINTR("tcsetattr \(path)") { tcsetattr(descriptor, TCSANOW, &settings) }
        if constant == nil {
            do throws(SystemError) {
                _ = try retryingEINTR("set \(baud) baud on \(path)") {
                    agent_serial_set_custom_speed(descriptor, UInt32(baud))
                }
            } catch {
                throw SystemError(call: error.call, errno: error.errno,
                                  message: "\(path) refused \(baud) baud: \(SystemError.describe(error.errno))")
            }
        }
    }

    /// The error for a port another program holds.
    private static func inUse(_ path: String, by error: SystemError) -> SystemError {
        SystemError(call: error.call, errno: error.errno,
                    message: "\(path) is in use by another program (close it, or stop the program that holds it)")
    }
}
