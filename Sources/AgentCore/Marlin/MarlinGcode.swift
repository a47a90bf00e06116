/// The G-code lines the agent sends a Marlin board for a `print/update`.
public enum MarlinGcode {
    /// One command per value given, in this order: nozzle target (`M104 S<°C>`), bed target
    /// (`M140 S<°C>`), part-cooling fan (`M106 S<0-255>`), auxiliary fan (`M106 P<auxFanIndex>
    /// S<0-255>`, only with an index), print speed (`M220 S<percent>`) and
    /// a babystep of `zOffsetChange` mm (`M290 Z<mm>`: Marlin's babystep moves by a step, so
    /// the caller passes the difference from the offset already applied). Numbers have two
    /// decimals, as Marlin hosts write them; a value that is not a finite number gives no command.
    public static func settings(_ settings: PrintSettings, zOffsetChange: Double?, auxFanIndex: Int? = nil) -> [[UInt8]] {
        var lines: [String] = []
        if let text = settings.nozzleTarget.flatMap(Self.decimal) { lines.append("M104 S" + text) }
        if let text = settings.bedTarget.flatMap(Self.decimal) { lines.append("M140 S" + text) }
        if let fan = settings.fanPercent { lines.append(SettingsGcode.fan(fan)) }
        if let index = auxFanIndex, let aux = settings.auxFanPercent { lines.append(SettingsGcode.fan(aux, index: index)) }
        if let percent = settings.speedPercent { lines.append(SettingsGcode.speed(percent)) }
        if let text = zOffsetChange.flatMap(Self.decimal) { lines.append("M290 Z" + text) }
        return lines.map { Array($0.utf8) }
    }

    /// `value` with two decimals.
    private static func decimal(_ value: Double) -> String? { SettingsGcode.decimal(value, places: 2, fixed: true) }
}
