/// SSDP discovery as Anycubic's LAN clients do it (docs/lan-mode.md, "Discovery"): a client
/// multicasts an `M-SEARCH` for `ac:3dprinter:fdm` to 239.255.255.250:1900, and each printer
/// answers the sender with its `USN` (`uuid:fdm:<MAC>`) and a `LOCATION` pointing at its
/// `/info`, whose query string already names the model, the printer and its address. Pure:
/// the caller reads and sends the datagrams.
public enum SsdpDiscovery {
    /// The search target of Anycubic's FDM printers.
    public static let searchTarget = "ac:3dprinter:fdm"
    /// The longest datagram looked at: a search is a few hundred bytes.
    public static let maxDatagram = 2048

    /// Whether `datagram` is a search this printer answers: the request line
    /// `M-SEARCH * HTTP/1.1` and an `ST` header of `ac:3dprinter:fdm` or `ssdp:all` (header
    /// names in any case, lines ended by CRLF or LF).
    public static func answers(_ datagram: [UInt8]) -> Bool {
        guard datagram.count <= maxDatagram else { return false }
        let lines = datagram.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0 }
        guard let first = lines.first, Array(first) == Array("M-SEARCH * HTTP/1.1".utf8) else { return false }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            guard lowercased(line[line.startIndex..<colon]) == Array("st".utf8) else { continue }
            let value = trimmed(line[line.index(after: colon)...])
            return Array(value) == Array(searchTarget.utf8) || lowercased(value) == Array("ssdp:all".utf8)
        }
        return false
    }

    /// The answer to a search, for a printer reached at `host`, whose LAN server listens on
    /// `port`, on the interface of hardware address `mac` (nil when unknown).
    public static func reply(_ printer: LanDocuments.Printer, host: String, port: Int, mac: String?) -> String {
        let location = LanDocuments.url(host: host, port: port, path: "/info") + "?ip=" + host
            + "&modelId=" + AsciiText.percentEncoded(printer.modelId) + "&modelName=" + AsciiText.percentEncoded(printer.modelName)
            + "&cn=" + AsciiText.percentEncoded(printer.serial) + "&deviceName=" + AsciiText.percentEncoded(printer.deviceName) + "&ctrlType=lan"
        var lines = ["HTTP/1.1 200 OK", "CACHE-CONTROL: max-age=1800", "EXT:", "LOCATION: " + location,
                     "SERVER: ac:fdm:ssdp", "ST: " + searchTarget]
        if let mac { lines.append("USN: uuid:fdm:" + mac) }
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    private static func lowercased(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }
}
