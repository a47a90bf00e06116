import Foundation
import TestSupport

/// The published Anycubic client libraries (PyPI `anycubic-lan` and `anycubic-cloud-api`) run
/// by our driver, `Tests/Fixtures/clients/drive.py`, in the venv `scripts/client-venv` makes
/// (docs/testing.md says how it finds Python 3.13).
enum ClientDriver {
    /// The repository's root.
    static let repository = Fixture.folder.deletingLastPathComponent().deletingLastPathComponent()

    /// The venv's python, made once per test run (the script caches the venv across runs).
    static let python = venvPython("clients")

    /// The python of the venv of the OctoPrint client libraries.
    static let octoprintPython = venvPython("octoprint")

    /// The python of the venv `scripts/client-venv` makes for `Tests/Fixtures/<fixture>/requirements.txt`.
    static func venvPython(_ fixture: String) -> Result<String, TestFailure> {
        do {
            let files = try TemporaryDirectory()
            let out = files.path + "/out", err = files.path + "/err"
            let script = repository.appendingPathComponent("scripts/client-venv").path
            let requirements = Fixture.folder.appendingPathComponent(fixture + "/requirements.txt").path
            let status = try ChildProcess(script, [requirements], stdout: out, stderr: err).waitForExit(timeout: 1200)
            let python = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard status == 0, FileManager.default.isExecutableFile(atPath: python) else {
                let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
                return .failure(TestFailure("scripts/client-venv exited with \(status): \(errors)"))
            }
            return .success(python)
        } catch {
            return .failure(TestFailure("scripts/client-venv: \(error)"))
        }
    }

    /// One step's verdict, as the driver printed it.
    struct Step {
        let name: String
        let ok: Bool
        let error: String?
        let details: [String: Any]
    }

    /// The steps the driver runs, in order.
    static let steps = ["connect", "queries", "info", "list-local", "list-usb", "delete", "temperature", "fan",
                        "light", "print-start", "pause", "resume", "stop"]

    /// The steps through the LAN handshake: the handshake first, an upload after info.
    static let handshakeSteps = ["handshake", "connect", "queries", "info", "upload"] + steps.dropFirst(3)

    /// Runs the driver for `library` against the printer of the test ids on the broker's TLS
    /// listener `tlsPort`, with `file` to list and print and `delete` to delete on local
    /// storage, and returns its steps (whatever it printed before it exited). With
    /// `handshakePort` the library finds the broker through the LAN handshake on that port
    /// instead, and uploads `upload` (a path) to list and print it.
    static func run(_ library: String, tlsPort: Int = 0, handshakePort: Int? = nil, upload: String? = nil,
                    file: String, delete: String) throws -> [Step] {
        let python = try python.get()
        let files = try TemporaryDirectory()
        let out = files.path + "/out", err = files.path + "/err"
        let script = Fixture.folder.appendingPathComponent("clients/drive.py").path
        let child = try ChildProcess(python, [script, "--library", library, "--port", "\(tlsPort)",
                                              "--model-id", AgentProcess.modelId, "--device-id", AgentProcess.deviceId,
                                              "--file", file, "--delete", delete, "--timeout", "15"]
                                         + (handshakePort.map { ["--handshake-port", "\($0)"] } ?? [])
                                         + (upload.map { ["--upload", $0] } ?? []),
                                     stdout: out, stderr: err)
        return try finish(child, library, out: out, err: err)
    }

    /// The steps of `octoprint_drive.py` for `octorest`.
    static let octorestSteps = ["version", "files", "upload", "select-print", "printing", "pause", "resume", "cancel", "delete"]
    /// The steps of `octoprint_drive.py` for `octorest` with `--sdcard`.
    static let octorestSdcardSteps = ["version", "sd-files", "sd-info", "sd-select-print", "sd-printing", "sd-cancel", "sd-delete",
                                      "sd-upload"]
    /// The steps of `octoprint_drive.py` for `pyoctoprintapi`.
    static let pyoctoprintapiSteps = ["appkey", "server", "discovery", "webcam", "printer", "temperature", "printing", "pause",
                                      "resume", "cancel"]

    /// Runs `octoprint_drive.py` for `library` against the OctoPrint API on `port`, with
    /// `key` and `upload` (a path) when given, and `sdcard` (a file on the USB stick, for
    /// octorest's SD card calls); `meanwhile` runs while the driver does (it approves an app
    /// key on the printer). Returns the driver's steps.
    static func runOctoPrint(_ library: String, port: Int, key: String? = nil, upload: String? = nil, sdcard: String? = nil,
                             meanwhile: () throws -> Void = {}) throws -> [Step] {
        let python = try octoprintPython.get()
        let files = try TemporaryDirectory()
        let out = files.path + "/out", err = files.path + "/err"
        let script = Fixture.folder.appendingPathComponent("clients/octoprint_drive.py").path
        let child = try ChildProcess(python, [script, "--library", library, "--port", "\(port)", "--timeout", "30"]
                                         + (key.map { ["--key", $0] } ?? []) + (upload.map { ["--upload", $0] } ?? [])
                                         + (sdcard.map { ["--sdcard", $0] } ?? []),
                                     stdout: out, stderr: err)
        try meanwhile()
        return try finish(child, library, out: out, err: err)
    }

    /// The python of the venv of the browser driver (Selenium).
    static let browserPython = venvPython("browser")

    /// The steps of `page_drive.py`.
    static let pageSteps = ["key", "app-request", "app-approve", "app-deny", "targets", "fan", "upload", "print", "pause", "resume", "console", "stop", "delete", "outside-print"]

    /// The steps of `page_drive.py` with `--usb`.
    static let pageUsbSteps = ["key", "usb-list", "usb-print", "usb-delete"]

    /// Runs `page_drive.py`: headless Chromium opens `url`, is given `key`, approves one
    /// application's key request and denies another's, uploads `upload`
    /// (a path), prints, pauses, resumes, stops and deletes it, and follows a print another
    /// client starts, saving a screenshot of each step in `screens`; with `usb` (a file on the
    /// USB stick), lists, prints and deletes that file instead.
    static func runPage(url: String, key: String, upload: String, screens: String, usb: String? = nil) throws -> [Step] {
        let python = try browserPython.get()
        let files = try TemporaryDirectory()
        let out = files.path + "/out", err = files.path + "/err"
        let script = Fixture.folder.appendingPathComponent("browser/page_drive.py").path
        let child = try ChildProcess(python, [script, "--url", url, "--key", key, "--upload", upload, "--screens", screens]
                                         + (usb.map { ["--usb", $0] } ?? []),
                                     stdout: out, stderr: err)
        return try finish(child, "browser", out: out, err: err)
    }

    /// Waits for a driver to exit and returns the steps it printed on `out`; fails when it
    /// did not run to its end, with what it wrote on `err`.
    private static func finish(_ child: ChildProcess, _ library: String, out: String, err: String) throws -> [Step] {
        let status = try child.waitForExit(timeout: 600)
        let printed = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let steps = printed.split(separator: "\n").compactMap { line -> Step? in
            guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let name = json["step"] as? String else { return nil }
            return Step(name: name, ok: json["ok"] as? Bool == true, error: json["error"] as? String,
                        details: json["details"] as? [String: Any] ?? [:])
        }
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
            throw TestFailure("the \(library) driver exited with \(status) after \(steps.map(\.name)): \(errors)")
        }
        return steps
    }
}
