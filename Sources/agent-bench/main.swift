// agent-bench: measures round trips through a real broker, printing p50/p99 in ms.
//
//   agent-bench --port PORT --model-id ID --device-id ID [--count N] [--command status|listLocal]
//
// 1. Bare broker: one client subscribed to a topic publishes to it and waits for its own
//    message to come back, N times (the broker's and the client library's share).
// 2. Agent: the same client publishes the command (`status/query`, or `file/listLocal` of
//    the storage root) with a fresh msgid to the agent's command topic and waits for the
//    report echoing that msgid, N times.
// The difference is what the agent adds. Host-only tool, written against Glibc alone like
// the device code.
import CMosquitto
import Glibc

struct Options {
    var port: Int32 = 1883
    var modelId = "20021"
    var deviceId = ""
    var count = 1000
    var command = "status"

    init(_ arguments: [String]) {
        var index = 1
        while index + 1 < arguments.count {
            let value = arguments[index + 1]
            switch arguments[index] {
            case "--port": port = Int32(value) ?? port
            case "--model-id": modelId = value
            case "--device-id": deviceId = value
            case "--count": count = Int(value) ?? count
            case "--command" where ["status", "listLocal"].contains(value): command = value
            default: fail("unknown option \(arguments[index])")
            }
            index += 2
        }
        if deviceId.isEmpty { fail("usage: agent-bench --port PORT --model-id ID --device-id ID [--count N]") }
    }
}

func fail(_ message: String) -> Never {
    fputs("agent-bench: \(message)\n", stderr)
    exit(1)
}

/// A single-threaded client that waits for one expected payload substring at a time.
final class Client {
    let handle: OpaquePointer
    var expected = ""
    var arrived = false

    init(port: Int32) {
        mosquitto_lib_init()
        guard let client = mosquitto_new("agent-bench-\(getpid())", true, nil) else { fail("mosquitto_new") }
        handle = client
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1)
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let context, let message, let payload = message.pointee.payload else { return }
            let client = Unmanaged<Client>.fromOpaque(context).takeUnretainedValue()
            let text = String(decoding: UnsafeRawBufferPointer(start: payload, count: Int(message.pointee.payloadlen)), as: UTF8.self)
            if text.contains(client.expected) { client.arrived = true }
        }
        guard mosquitto_connect(handle, "127.0.0.1", port, 60) == 0 else { fail("cannot connect to 127.0.0.1:\(port)") }
    }

    func subscribe(_ filter: String) {
        mosquitto_subscribe(handle, nil, filter, 1)
        for _ in 0..<20 { mosquitto_loop(handle, 10, 1) }
    }

    /// Publishes and returns the milliseconds until a message containing `expect` arrives.
    func roundTrip(topic: String, payload: String, expect: String) -> Double {
        expected = expect
        arrived = false
        let start = monotonicNanoseconds()
        _ = payload.withCString { mosquitto_publish(handle, nil, topic, Int32(strlen($0)), $0, 1, false) }
        while !arrived {
            if mosquitto_loop(handle, 1000, 1) != 0 { fail("lost the broker") }
            if monotonicNanoseconds() - start > 5_000_000_000 { fail("no answer within 5 s for \(expect)") }
        }
        return Double(monotonicNanoseconds() - start) / 1e6
    }
}

/// The monotonic clock, in nanoseconds.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// `milliseconds` with three decimals (the figures of docs/benchmarks.md).
func threeDecimals(_ milliseconds: Double) -> String {
    let thousandths = Int((milliseconds * 1000).rounded())
    let fraction = String(abs(thousandths) % 1000)
    let sign = thousandths < 0 ? "-" : ""
    return sign + String(abs(thousandths) / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
}

/// `text` padded with spaces to `width` characters.
func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

let options = Options(CommandLine.arguments)
let client = Client(port: options.port)
let echoTopic = "agent-bench/echo/\(getpid())"
let prefix = "anycubic/anycubicCloud/v1/"
client.subscribe(echoTopic)
let type = options.command == "status" ? "status" : "file"
let action = options.command == "status" ? "query" : "listLocal"
client.subscribe("\(prefix)printer/public/\(options.modelId)/\(options.deviceId)/\(type)/report")

var bare: [Double] = []
var agent: [Double] = []
for round in 0..<options.count {
    let marker = "bench-\(getpid())-\(round)"
    bare.append(client.roundTrip(topic: echoTopic, payload: marker, expect: marker))
    let command = "{\"type\":\"\(type)\",\"action\":\"\(action)\",\"msgid\":\"\(marker)\",\"timestamp\":0,\"data\":{\"path\":\"/\"}}"
    agent.append(client.roundTrip(topic: "\(prefix)server/printer/\(options.modelId)/\(options.deviceId)/\(type)",
                                  payload: command, expect: "\"msgid\":\"\(marker)\""))
}
/// One figure line: `name`, then p50 and p99 in milliseconds.
func line(_ name: String, p50: Double, p99: Double) -> String {
    padded(name, 27) + " p50 " + threeDecimals(p50) + " ms  p99 " + threeDecimals(p99) + " ms"
}
print("round trips over \(options.count) queries")
print(line("bare broker round trip", p50: percentile(bare, 0.5), p99: percentile(bare, 0.99)))
print(line("\(type)/\(action) via the agent", p50: percentile(agent, 0.5), p99: percentile(agent, 0.99)))
print(line("added by the agent", p50: percentile(agent, 0.5) - percentile(bare, 0.5),
           p99: percentile(agent, 0.99) - percentile(bare, 0.99)))
