import CCrypto
import CUdev
import Testing

/// The C libraries the device code links, linked and working on this machine.
@Suite struct CLibraryTests {
    @Test func libcryptoComputesMD5() throws {
        let input = Array("abc".utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        #expect(EVP_Digest(input, input.count, &digest, &length, EVP_md5(), nil) == 1)
        let hex = digest.prefix(Int(length)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(hex == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func libudevEnumeratesTheBlockSubsystem() throws {
        let udev = try #require(udev_new())
        defer { udev_unref(udev) }
        let enumeration = try #require(udev_enumerate_new(udev))
        defer { udev_enumerate_unref(enumeration) }
        #expect(udev_enumerate_add_match_subsystem(enumeration, "block") == 0)
        #expect(udev_enumerate_scan_devices(enumeration) == 0)
        var entry = udev_enumerate_get_list_entry(enumeration)
        while let current = entry {
            let syspath = udev_list_entry_get_name(current).map { String(cString: $0) } ?? ""
            #expect(syspath.hasPrefix("/sys/"), "\(syspath)")
            entry = udev_list_entry_get_next(current)
        }
    }
}
