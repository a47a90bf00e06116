/// Reads G-code text line by line: comments go to the thumbnail reader and then to the
/// facts; other lines (of the head only) to the facts' start G-code temperatures.
struct GcodeScanner {
    /// The values found so far.
    var facts = GcodeFacts()
    /// The thumbnails found so far.
    var thumbnails = GcodeThumbnailReader()

    /// Reads one window of the file. Lines end in "\n" (a "\r" before it is dropped); a last
    /// line without "\n" is read only when `lastLineComplete` (it may be cut off by the
    /// window). `commands` says whether non-comment lines are read too.
    mutating func scan(_ bytes: ArraySlice<UInt8>, lastLineComplete: Bool, commands: Bool) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            guard let newline = bytes[start...].firstIndex(of: 0x0A) else {
                if lastLineComplete { line(bytes[start...], commands: commands) }
                break
            }
            line(bytes[start..<newline], commands: commands)
            start = newline + 1
        }
        thumbnails.endOfWindow()
    }

    /// Reads one line (without its "\n").
    private mutating func line(_ raw: ArraySlice<UInt8>, commands: Bool) {
        let text = GcodeText.trimmed(raw)
        guard let first = text.first else { return }
        if first == UInt8(ascii: ";") {
            let body = GcodeText.trimmed(text.dropFirst())
            if !thumbnails.comment(body) { facts.comment(body) }
        } else {
            thumbnails.interrupt()
            if commands { facts.command(text) }
        }
    }
}
