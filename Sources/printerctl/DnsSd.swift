/// DNS-SD over multicast DNS (RFC 6762, 6763), as much as `discover` needs: the PTR query for
/// a service type, and the services read from the answers (PTR, SRV, TXT and A records,
/// names compressed or not). Anything malformed in a packet ends its reading; what was read
/// before stays.
enum DnsSd {
    /// The OctoPrint API's service type, which the printer announces through Avahi
    /// (packaging/discovery/octoprint-service).
    static let octoprint = "_octoprint._tcp.local"
    /// The mDNS group and port.
    static let group = "224.0.0.251"
    static let port = 5353

    /// A service instance found in the answers.
    struct Service: Equatable {
        /// The instance's name (its first label: `Kobra 3`).
        var name: String
        /// The host it runs on (`kobra.local`), its port and IPv4 address, when answered.
        var host: String?
        var port: Int?
        var address: String?
        /// The TXT record's `key=value` pairs.
        var txt: [String: String] = [:]
    }

    /// The one-shot query for the PTR records of service type `type`, with the unicast-response
    /// bit and a random id: responders (python-zeroconf) drop a packet identical to one they
    /// saw within the last second without such a bit, as two runs in a row would send.
    static func query(_ type: String) -> [UInt8] {
        let id = UInt16.random(in: 1...UInt16.max)
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in type.split(separator: ".") {
            let utf8 = Array(label.utf8.prefix(63))
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        return bytes + [0, 0, 12, 0x80, 1]
    }

    /// The instances of `type` that `packet` (a response) announces, with what the same
    /// packet says of each.
    static func services(of type: String, in packet: [UInt8]) -> [Service] {
        var reader = Reader(bytes: packet)
        let records = reader.records()
        let wanted = type.lowercased()
        var services: [Service] = []
        for record in records where record.type == 12 && record.name.lowercased() == wanted {
            guard case .name(let instance)? = record.value, !services.contains(where: { $0.name == instance.first }) else { continue }
            let key = instance.joined(separator: ".").lowercased()
            var service = Service(name: instance.first ?? "")
            for other in records where other.name.lowercased() == key {
                switch other.value {
                case .server(let port, let host)?:
                    service.port = port
                    service.host = host.joined(separator: ".")
                case .text(let pairs)?:
                    service.txt.merge(pairs) { first, _ in first }
                default:
                    break
                }
            }
            if let host = service.host?.lowercased() {
                for other in records where other.name.lowercased() == host {
                    if case .address(let address)? = other.value { service.address = address }
                }
            }
            services.append(service)
        }
        return services
    }

    /// What a resource record holds, for the types read.
    enum Value {
        case name([String])
        case server(port: Int, host: [String])
        case text([String: String])
        case address(String)
    }

    /// One resource record: its owner name (labels joined with dots), type and value.
    struct Record {
        var name: String
        var type: Int
        var value: Value?
    }

    /// Reads a DNS message, bounds-checked at every step.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        /// Every answer, authority and additional record, until the end or the first fault.
        mutating func records() -> [Record] {
            guard let questions = u16(at: 4), let answers = u16(at: 6), let authorities = u16(at: 8),
                  let additionals = u16(at: 10) else { return [] }
            offset = 12
            for _ in 0..<questions {
                guard name() != nil, skip(4) else { return [] }
            }
            var records: [Record] = []
            for _ in 0..<(answers + authorities + additionals) {
                guard let record = record() else { break }
                records.append(record)
            }
            return records
        }

        private mutating func record() -> Record? {
            guard let owner = name(), let type = u16(at: offset), let length = u16(at: offset + 8) else { return nil }
            let start = offset + 10
            guard start + length <= bytes.count else { return nil }
            var value: Value?
            switch type {
            case 12:
                var inner = Reader(bytes: bytes, offset: start)
                value = inner.name().map { .name($0) }
            case 33:
                var inner = Reader(bytes: bytes, offset: start + 6)
                if length > 6, let port = u16(at: start + 4), let host = inner.name() { value = .server(port: port, host: host) }
            case 16:
                value = .text(Self.pairs(bytes[start..<(start + length)]))
            case 1 where length == 4:
                value = .address(bytes[start..<(start + 4)].map(String.init).joined(separator: "."))
            default:
                break
            }
            offset = start + length
            return Record(name: owner.joined(separator: "."), type: type, value: value)
        }

        /// The TXT record's strings as `key=value` pairs (a key alone has an empty value).
        private static func pairs(_ data: ArraySlice<UInt8>) -> [String: String] {
            var pairs: [String: String] = [:]
            var index = data.startIndex
            while index < data.endIndex {
                let end = min(data.endIndex, index + 1 + Int(data[index]))
                let text = String(decoding: data[(index + 1)..<end], as: UTF8.self)
                let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if let key = parts.first, !key.isEmpty, pairs[String(key)] == nil {
                    pairs[String(key)] = parts.count > 1 ? String(parts[1]) : ""
                }
                index = end
            }
            return pairs
        }

        /// A name's labels from the current offset, following compression pointers (at most
        /// 32, so a loop ends); the offset moves past the name as written here.
        private mutating func name() -> [String]? {
            var labels: [String] = []
            var position = offset
            var jumps = 0
            var resume: Int?
            while true {
                guard position < bytes.count else { return nil }
                let length = Int(bytes[position])
                if length == 0 {
                    offset = resume ?? position + 1
                    return labels
                }
                if length & 0xC0 == 0xC0 {
                    guard position + 1 < bytes.count, jumps < 32 else { return nil }
                    if resume == nil { resume = position + 2 }
                    position = (length & 0x3F) << 8 | Int(bytes[position + 1])
                    jumps += 1
                    continue
                }
                guard length < 64, position + 1 + length <= bytes.count else { return nil }
                labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
                position += 1 + length
            }
        }

        private func u16(at index: Int) -> Int? {
            guard index >= 0, index + 1 < bytes.count else { return nil }
            return Int(bytes[index]) << 8 | Int(bytes[index + 1])
        }

        private mutating func skip(_ count: Int) -> Bool {
            guard offset + count <= bytes.count else { return false }
            offset += count
            return true
        }
    }
}
