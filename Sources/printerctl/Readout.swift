import Foundation

/// The printer's live values as printerctl shows them, read from `info` and kept current
/// from the reports that follow (print, tempature).
struct Readout {
    var state = "free"
    var nozzle = 0, nozzleTarget = 0, bed = 0, bedTarget = 0
    var fan = 0
    /// The job: `project` of info, then the print reports' data merged in.
    var job: [String: Any]?
    /// The print's state word (`printing`, `paused`, `finished`, ...).
    var phase: String?

    /// The readout of an `info` report.
    init(info: [String: Any]) {
        let data = info["data"] as? [String: Any] ?? [:]
        state = data["state"] as? String ?? "free"
        fan = Self.number(data["fan_speed_pct"])
        apply(temperatures: data["temp"] as? [String: Any] ?? [:])
        job = data["project"] as? [String: Any]
        phase = job?["state"] as? String
    }

    /// Takes in a report the printer pushed: print progress and states, temperatures, fans.
    mutating func apply(report type: String, _ payload: [String: Any]) {
        let data = payload["data"] as? [String: Any] ?? [:]
        switch type {
        case "print" where payload["code"] as? Int == 200:
            job = (job ?? [:]).merging(data) { $1 }
            phase = payload["state"] as? String ?? phase
        case "tempature": apply(temperatures: data)
        case "fan": fan = Self.number(data["fan_speed_pct"])
        case "status": state = payload["state"] as? String ?? state
        default: break
        }
    }

    /// Takes in the `tempature` fields present in `data`.
    private mutating func apply(temperatures data: [String: Any]) {
        nozzle = Self.number(data["curr_nozzle_temp"], nozzle)
        nozzleTarget = Self.number(data["target_nozzle_temp"], nozzleTarget)
        bed = Self.number(data["curr_hotbed_temp"], bed)
        bedTarget = Self.number(data["target_hotbed_temp"], bedTarget)
    }

    /// A whole number from a JSON value, `fallback` when absent.
    static func number(_ value: Any?, _ fallback: Int = 0) -> Int {
        (value as? Int) ?? (value as? Double).map { Int($0.rounded()) } ?? fallback
    }

    /// Whether the print has ended, and how.
    var ended: Bool { ["finished", "stoped", "failed"].contains(phase ?? "") }

    var progress: Int { Self.number(job?["progress"]) }
    var layer: Int { Self.number(job?["curr_layer"]) }
    var layers: Int { Self.number(job?["total_layers"]) }
    var minutesLeft: Int { Self.number(job?["remain_time"]) }
    var filename: String { job?["display_filename"] as? String ?? job?["filename"] as? String ?? "" }

    /// The temperatures in one line: `nozzle 210/210°C  bed 60/60°C`.
    var temperatureLine: String { "nozzle \(nozzle)/\(nozzleTarget)°C  bed \(bed)/\(bedTarget)°C" }

    /// The job's layer and time left: `layer 3/40  12 min left` (parts that are unknown left out).
    var jobLine: String {
        var parts: [String] = []
        if layers > 0 { parts.append("layer \(layer)/\(layers)") } else if layer > 0 { parts.append("layer \(layer)") }
        if minutesLeft > 0 { parts.append(Self.duration(minutesLeft) + " left") }
        return parts.joined(separator: "  ")
    }

    /// `minutes` as `1 h 05 min` or `12 min`.
    static func duration(_ minutes: Int) -> String {
        minutes >= 60 ? "\(minutes / 60) h \(String(format: "%02d", minutes % 60)) min" : "\(minutes) min"
    }

    /// A bar of `width` cells filled to `percent`.
    static func bar(_ percent: Int, width: Int = 30) -> String {
        let filled = max(0, min(width, percent * width / 100))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// What a script reads: the same values as JSON.
    var json: [String: Any] {
        ["state": state, "phase": phase ?? NSNull(), "progress": progress, "layer": layer, "layers": layers,
         "minutes_left": minutesLeft, "file": job == nil ? NSNull() : filename,
         "nozzle": nozzle, "nozzle_target": nozzleTarget, "bed": bed, "bed_target": bedTarget, "fan": fan]
    }
}
