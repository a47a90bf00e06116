import AgentCore
import Foundation
import Testing

/// A recorded `/proc/self/mountinfo` of a printer board with a USB stick whose label has
/// spaces, mounted by an automounter, plus the kinds of lines a real file has.
private let recorded = """
    17 23 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
    18 23 0:4 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw
    23 1 179:2 / / rw,relatime shared:1 - ext4 /dev/mmcblk0p2 rw
    36 23 179:5 / /useremain rw,noatime master:1 - ext4 /dev/mmcblk0p5 rw,errors=continue
    41 23 0:36 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=65536k
    57 23 8:1 / /mnt/udisk/My\\040Stick\\040(2) rw,nosuid,nodev,noexec,relatime shared:30 master:2 propagate_from:3 unbindable - vfat /dev/sda1 rw,fmask=0022,dmask=0022,codepage=437,iocharset=utf8,shortname=mixed,errors=remount-ro
    58 18 0:4 net:[4026531840] /run/netns/ns1 rw shared:14 - nsfs nsfs rw
    """

/// Every field of the entry proc(5) documents, as proc(5) gives it.
@Suite struct MountInfoTests {
    @Test func parsesTheDocumentedExample() throws {
        let entries = MountInfo.parse("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n")
        #expect(entries == [MountEntry(
            mountId: 36, parentId: 35, major: 98, minor: 0, root: "/mnt1", mountPoint: "/mnt2",
            options: "rw,noatime", optionalFields: ["master:1"], fsType: "ext3", source: "/dev/root",
            superOptions: "rw,errors=continue")])
        #expect(entries.first?.device == DeviceNumber(major: 98, minor: 0))
        #expect(entries.first?.isWholeFilesystem == false)
    }

    @Test func parsesARecordedFile() throws {
        let entries = MountInfo.parse(recorded)
        #expect(entries.count == 7)
        #expect(entries.map(\.mountPoint) == ["/sys", "/proc", "/", "/useremain", "/tmp", "/mnt/udisk/My Stick (2)", "/run/netns/ns1"])
        let stick = try #require(entries.first { $0.major == 8 })
        #expect(stick.minor == 1)
        #expect(stick.mountId == 57)
        #expect(stick.parentId == 23)
        #expect(stick.root == "/")
        #expect(stick.fsType == "vfat")
        #expect(stick.source == "/dev/sda1")
        #expect(stick.options == "rw,nosuid,nodev,noexec,relatime")
        #expect(stick.optionalFields == ["shared:30", "master:2", "propagate_from:3", "unbindable"])
        #expect(stick.superOptions.hasPrefix("rw,fmask=0022"))
        #expect(entries.first { $0.mountPoint == "/tmp" }?.optionalFields == [])
        #expect(entries.last?.root == "net:[4026531840]")
    }

    @Test(arguments: [
        (#"/mnt/a\040b"#, "/mnt/a b"),
        (#"/mnt/tab\011here"#, "/mnt/tab\there"),
        (#"/mnt/new\012line"#, "/mnt/new\nline"),
        (#"/mnt/back\134slash"#, "/mnt/back\\slash"),
        (#"/mnt/\303\234ber"#, "/mnt/Über"),  // escaped UTF-8 bytes decode to one character
        ("/mnt/Über Stick".replacingOccurrences(of: " ", with: #"\040"#), "/mnt/Über Stick"),
        (#"/mnt/not\x41escape"#, #"/mnt/not\x41escape"#),
        (#"/mnt/short\04"#, #"/mnt/short\04"#),
        (#"/mnt/eight\089"#, #"/mnt/eight\089"#),
        (#"/mnt/trailing\"#, #"/mnt/trailing\"#),
        (#"/mnt/\\040"#, #"/mnt/\ "#),
    ])
    func decodesOctalEscapes(escaped: String, decoded: String) throws {
        let line = "90 23 8:17 / \(escaped) rw - vfat /dev/sdb1 rw"
        let entry = try #require(MountInfo.parse(line).first)
        #expect(entry.mountPoint == decoded)
        #expect(MountInfo.unescape(ArraySlice(escaped.utf8)) == decoded)
    }

    @Test func sourceAndRootAreDecodedToo() throws {
        let line = #"91 23 8:33 /sub\040dir /mnt/x rw - fuse.sshfs user@host:/my\040files rw,user_id=0"#
        let entry = try #require(MountInfo.parse(line).first)
        #expect(entry.root == "/sub dir")
        #expect(entry.source == "user@host:/my files")
        #expect(entry.fsType == "fuse.sshfs")
    }

    @Test func anEmptySourceKeepsTheFieldsInPlace() throws {
        let entry = try #require(MountInfo.parse("92 23 0:50 / /mnt/e rw - tmpfs  rw,size=4k").first)
        #expect(entry.source == "")
        #expect(entry.superOptions == "rw,size=4k")
    }

    @Test func carriageReturnsAndAMissingFinalNewlineAreAccepted() {
        let text = "1 0 8:1 / /a rw - vfat /dev/sda1 rw\r\n2 1 8:2 / /b rw - vfat /dev/sda2 rw"
        #expect(MountInfo.parse(text).map(\.mountPoint) == ["/a", "/b"])
    }

    static let malformed = [
        "",
        " ",
        "garbage",
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw",  // no separator
        "36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root",  // super options missing
        "36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw extra",  // a field too many
        "x 35 98:0 / /mnt rw - ext3 /dev/root rw",
        "36 y 98:0 / /mnt rw - ext3 /dev/root rw",
        "-1 35 98:0 / /mnt rw - ext3 /dev/root rw",
        "36 35 98-0 / /mnt rw - ext3 /dev/root rw",
        "36 35 98: / /mnt rw - ext3 /dev/root rw",
        "36 35 :0 / /mnt rw - ext3 /dev/root rw",
        "36 35 98:0:1 / /mnt rw - ext3 /dev/root rw",
        "99999999999999999999999 35 98:0 / /mnt rw - ext3 /dev/root rw",
        "36 35 98:0 / relative rw - ext3 /dev/root rw",
        "36 35 98:0 /  rw - ext3 /dev/root rw",  // empty mount point
        "36 35 98:0  /mnt rw - ext3 /dev/root rw",  // empty root
        "36 35 98:0 / /mnt rw -  /dev/root rw",  // empty type
        "36 35 98:0 / /mnt - ext3 /dev/root rw",  // options missing: "-" is taken as options
        " 36 35 98:0 / /mnt rw - ext3 /dev/root rw",  // leading space
        "36  35 98:0 / /mnt rw - ext3 /dev/root rw",  // double space
    ]

    @Test(arguments: malformed)
    func malformedLinesAreSkipped(line: String) {
        let text = "1 0 8:1 / /before rw - vfat /dev/sda1 rw\n\(line)\n2 1 8:2 / /after rw - vfat /dev/sda2 rw\n"
        #expect(MountInfo.parse(text).map(\.mountPoint) == ["/before", "/after"])
    }

    /// Every prefix of a good line, and bytes that are not UTF-8, parse or are skipped:
    /// nothing traps.
    @Test func truncatedAndBinaryLinesNeverTrap() {
        let line = Array(#"57 23 8:1 / /mnt/My\040Stick rw,nosuid shared:30 - vfat /dev/sda1 rw,fmask=0022"#.utf8)
        for end in 0...line.count {
            let entries = MountInfo.parse(bytes: Array(line[0..<end]))
            #expect(entries.count <= 1)
            if let entry = entries.first { #expect(entry.mountPoint == "/mnt/My Stick") }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let noise = (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                [UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "7"),
                 UInt8(ascii: "/"), 0xff, 0x00, UInt8.random(in: 0...255, using: &generator)].randomElement(using: &generator) ?? 0
            }
            _ = MountInfo.parse(bytes: noise)
        }
        let invalid: [UInt8] = Array("1 0 8:1 / /mnt/".utf8) + [0xff, 0xfe] + Array(" rw - vfat /dev/sda1 rw".utf8)
        #expect(MountInfo.parse(bytes: invalid).first?.mountPoint == "/mnt/\u{FFFD}\u{FFFD}")
    }

    @Test func aDeviceMountedTwiceIsFoundAtItsFirstMount() {
        let entries = MountInfo.parse("""
            1 0 254:0 / / rw - ext4 /dev/vda rw
            60 1 8:17 / /media/first rw - vfat /dev/sdb1 rw
            61 1 8:17 / /media/second rw - vfat /dev/sdb1 rw
            """)
        #expect(MountInfo.mountPoint(major: 8, minor: 17, in: entries) == "/media/first")
        #expect(MountInfo.mountPoints(of: DeviceNumber(major: 8, minor: 17), in: entries) == ["/media/first", "/media/second"])
        #expect(MountInfo.mountPoint(major: 8, minor: 18, in: entries) == nil)
        #expect(MountInfo.mountPoint(major: 254, minor: 0, in: entries) == "/")
    }

    /// A bind mount of a sub-directory earlier in the file does not hide the stick's root.
    @Test func theWholeFilesystemWinsOverAnEarlierBindOfASubDirectory() {
        let entries = MountInfo.parse("""
            60 1 8:17 /prints /srv/prints rw - vfat /dev/sdb1 rw
            61 1 8:17 / /media/stick rw - vfat /dev/sdb1 rw
            62 1 8:33 /only/sub /srv/sub rw - vfat /dev/sdc1 rw
            """)
        #expect(MountInfo.mountPoint(major: 8, minor: 17, in: entries) == "/media/stick")
        #expect(MountInfo.mountPoint(major: 8, minor: 33, in: entries) == "/srv/sub")
    }

    @Test func firstMountOfAnyOfSeveralDevices() {
        let entries = MountInfo.parse("""
            60 1 8:18 / /media/second-partition rw - vfat /dev/sdb2 rw
            61 1 8:17 / /media/first-partition rw - vfat /dev/sdb1 rw
            """)
        let disk = DeviceNumber(major: 8, minor: 16)
        let first = DeviceNumber(major: 8, minor: 17)
        let second = DeviceNumber(major: 8, minor: 18)
        #expect(MountInfo.firstMount(of: [disk, first, second], in: entries)?.mountPoint == "/media/second-partition")
        #expect(MountInfo.firstMount(of: [disk, first], in: entries)?.mountPoint == "/media/first-partition")
        #expect(MountInfo.firstMount(of: [disk], in: entries) == nil)
        #expect(MountInfo.firstMount(of: [], in: entries) == nil)
    }

    /// The real file of this machine: every line is an entry, with an absolute mount point.
    @Test func parsesThisMachinesMountInfo() throws {
        let text = try String(contentsOfFile: MountInfo.path, encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.isEmpty }
        let entries = MountInfo.parse(text)
        #expect(!entries.isEmpty)
        #expect(entries.count == lines.count, "lines the parser skipped: \(lines.count - entries.count)")
        for entry in entries {
            #expect(entry.mountPoint.hasPrefix("/"), "\(entry.mountPoint)")
            #expect(!entry.fsType.isEmpty)
        }
        #expect(entries.contains { $0.mountPoint == "/" })
        #expect(Set(entries.map(\.mountId)).count == entries.count, "mount ids are unique")
    }

    @Test func deviceNumberText() {
        #expect(DeviceNumber(major: 8, minor: 17).text == "8:17")
    }
}
