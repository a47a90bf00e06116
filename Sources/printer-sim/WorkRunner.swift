/// What a firmware prints while work runs (Marlin's host keepalive and heating reports).
struct WorkReports {
    /// Timed work longer than this many seconds calls `busy` every this many seconds.
    let busyInterval: Double
    /// Called while long timed work runs.
    let busy: () -> Void
    /// Called when a heater wait starts and every second while it lasts.
    let heating: () -> Void
}

/// Runs the time commands take on the event loop, one piece of work at a time, and calls
/// back when each is done.
final class WorkRunner {
    /// How close to its target a heater must be for a wait to end, in °C.
    static let heatWindow = 0.5

    private let loop: EventLoop
    private let thermals: Thermals
    /// What to print while work runs; nil prints nothing.
    var reports: WorkReports?
    private var timers: [EventLoop.TimerID] = []
    private var completion: (() -> Void)?
    private var waitingHeater: HeaterID?

    /// A runner on `loop` that waits for `thermals`.
    init(loop: EventLoop, thermals: Thermals) {
        self.loop = loop
        self.thermals = thermals
    }

    /// Whether work is running.
    var isBusy: Bool { completion != nil }

    /// Runs `work` and calls `done` when it is over (at once for work that takes no time).
    func run(_ work: Work, done: @escaping () -> Void) {
        switch work {
        case .none:
            done()
        case .seconds(let seconds):
            guard seconds > 0 else { return done() }
            completion = done
            timers.append(loop.after(seconds) { [weak self] in self?.finish() })
            if let reports, seconds > reports.busyInterval {
                timers.append(loop.every(reports.busyInterval, reports.busy))
            }
        case .heating(let heater, let waitForCooling):
            if !waitForCooling && thermals[heater].isAboveTarget { return done() }
            completion = done
            waitingHeater = heater
            if let reports {
                reports.heating()
                timers.append(loop.every(1, reports.heating))
            }
            checkHeater()
        }
    }

    /// Ends a heater wait now, as Marlin's M108 does (timed work goes on).
    func interruptHeating() {
        if waitingHeater != nil { finish() }
    }

    /// Abandons the running work without calling back.
    func cancel() {
        timers.forEach { loop.cancel($0) }
        timers = []
        completion = nil
        waitingHeater = nil
    }

    /// Ends the heater wait when the heater is close enough, else checks again when it
    /// should be.
    private func checkHeater() {
        guard let heater = waitingHeater else { return }
        let remaining = thermals[heater].secondsUntilSettled(within: Self.heatWindow)
        if remaining <= 0 {
            finish()
        } else {
            timers.append(loop.after(remaining + 0.001) { [weak self] in self?.checkHeater() })
        }
    }

    /// Ends the running work and calls back.
    private func finish() {
        let done = completion
        cancel()
        done?()
    }
}
