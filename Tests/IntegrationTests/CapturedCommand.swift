import Foundation
import TestSupport

/// A command as a real sender sends it, captured by a public project, with the answer the
/// firmware gives to it: one file of Tests/Fixtures/captured/ (its README has the format and
/// the sources).
struct CapturedCommand {
    /// The file's name without `.json`.
    let name: String
    /// Where the payload was captured.
    let source: String
    /// The topic's sender segment (`web`, `slicer`, `server`).
    let sender: String
    /// What the printer must be doing when the command arrives: `idle`, `printing`, `paused`.
    let needs: String
    /// Files (paths below the local root) the command names; each is a copy of the cube.
    let files: [String]
    /// Files on a USB stick the command names (paths below the stick's root), copies of the cube.
    let usbFiles: [String]
    /// Configuration lines the agent needs for the command (a light, say).
    let config: [String]
    /// Whether `data.taskid` stands for the running job's task id (the capture's job had
    /// another), so it is replaced by the id the agent reports for its job.
    let jobTaskid: Bool
    /// The envelope as it was sent.
    let command: [String: Any]
    /// The expected answer (README).
    let expect: [String: Any]

    /// The fixtures' folder.
    static let folder = Fixture.folder.appendingPathComponent("captured")

    /// The names of the fixtures, sorted: those that need a USB stick (`usb_files`), or the others.
    static func names(usb: Bool) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
            .filter { ((try? CapturedCommand($0))?.usbFiles.isEmpty == false) == usb }
    }

    /// Reads the fixture `name`.
    init(_ name: String) throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent(name + ".json"))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let command = json["command"] as? [String: Any], let expect = json["expect"] as? [String: Any] else {
            throw TestFailure("\(name).json has no command or no expect object")
        }
        self.name = name
        self.command = command
        self.expect = expect
        source = json["source"] as? String ?? ""
        sender = json["sender"] as? String ?? "web"
        needs = json["needs"] as? String ?? "idle"
        files = json["files"] as? [String] ?? []
        usbFiles = json["usb_files"] as? [String] ?? []
        config = json["config"] as? [String] ?? []
        jobTaskid = json["job_taskid"] as? Bool ?? false
    }

    /// The command's `type`.
    var type: String { command["type"] as? String ?? "" }

    /// The command's `msgid`, when it carries one.
    var msgid: String? { command["msgid"] as? String }

    /// The envelope to send: the captured one, with the running job's task id in place of
    /// the capture's when `jobTaskid` says so.
    func payload(jobTaskid taskid: String?) throws -> String {
        var envelope = command
        if jobTaskid, var data = envelope["data"] as? [String: Any] {
            data["taskid"] = taskid
            envelope["data"] = data
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: envelope), as: UTF8.self)
    }

    /// What is wrong with `answer` (nil for no answer) against `expect`, in words; empty
    /// when it is what the firmware gives.
    func mismatches(_ answer: [String: Any]?) -> [String] {
        if expect["silent"] as? Bool == true {
            return answer.map { ["the firmware stays silent, the agent answered \(Self.describe($0))"] } ?? []
        }
        guard let answer else { return ["no answer"] }
        var wrong: [String] = []
        let state = answer["state"] as? String ?? ""
        let states = (expect["state"] as? [String]) ?? [expect["state"] as? String].compactMap { $0 }
        if !states.isEmpty && !states.contains(state) { wrong.append("state \(state), expected \(states.joined(separator: " or "))") }
        let code = answer["code"] as? Int
        if let expected = expect["code"] as? Int, code != expected { wrong.append("code \(code.map(String.init) ?? "none"), expected \(expected)") }
        if let refused = expect["code_not"] as? Int, code == refused { wrong.append("code \(refused), expected a refusal") }
        let data = answer["data"] as? [String: Any] ?? [:]
        for key in expect["data_keys"] as? [String] ?? [] where data[key] == nil {
            wrong.append("data.\(key) missing")
        }
        // Foundation on Linux reads 0 and 1 as NSNumbers that also cast to Bool: a JSON
        // boolean is the NSNumber whose type is "c".
        for key in expect["data_numbers"] as? [String] ?? [] where !Self.isNumber(data[key]) {
            wrong.append("data.\(key) is \(data[key].map { "\($0)" } ?? "missing"), expected a number")
        }
        let details = data["file_details"] as? [String: Any] ?? [:]
        for key in expect["file_details_keys"] as? [String] ?? [] where details[key] == nil {
            wrong.append("data.file_details.\(key) missing")
        }
        return wrong.isEmpty ? [] : wrong + ["answer: \(Self.describe(answer))"]
    }

    /// A report in one line, data cut short.
    static func describe(_ report: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: report["data"] ?? NSNull(), options: [.fragmentsAllowed]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "?"
        return "\(report["type"] ?? "?")/\(report["action"] ?? "?") state \(report["state"] ?? "?") code \(report["code"] ?? "?") "
            + "msg \(report["msg"] ?? "?") data \(data.prefix(300))"
    }

    /// Whether `value` is a JSON number (not a boolean, not missing).
    private static func isNumber(_ value: Any?) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) != "c"
    }
}
