/// A PNG preview embedded in a G-code file, as base64 text (what the report carries).
public struct GcodeThumbnail: Equatable {
    /// Width in pixels, as the block's begin line declares it.
    public var width: Int
    /// Height in pixels, as the block's begin line declares it.
    public var height: Int
    /// The PNG file in base64 (standard alphabet, padded), the block's lines joined.
    public var base64: String

    /// A thumbnail from its parts.
    public init(width: Int, height: Int, base64: String) {
        self.width = width
        self.height = height
        self.base64 = base64
    }
}

/// Collects the thumbnail blocks of G-code comments and keeps the largest valid PNG.
///
/// A block is `; <tag> begin <W>x<H> <length>` (Cura's script writes `<W> <H> <length>`),
/// lines of `; <base64>`, then `; <tag> end`; PrusaSlicer and its descendants write the tag
/// `thumbnail` for PNG, `thumbnail_JPG` and `thumbnail_QOI` for the others. A block counts only
/// when its tag is `thumbnail` (or `thumbnail_PNG`), it ends inside the same window, its text
/// is base64 of exactly the declared length, and it starts with the PNG signature (Cura's JPEG
/// scripts also write `; thumbnail begin`). Anything else is skipped whole.
struct GcodeThumbnailReader {
    /// The block being read: its begin line, and whether it can still count.
    private struct Block {
        var tag: [UInt8]
        var width: Int
        var height: Int
        var length: Int
        var usable: Bool
    }

    /// The longest base64 text read (a whole head window).
    static let maxLength = Int(GcodeMetadata.headLength)

    /// The open block, if any.
    private var block: Block?
    /// The open block's base64 text so far (kept apart from `block` so it grows in place).
    private var data: [UInt8] = []
    /// The best PNG's base64 text.
    private var bestData: [UInt8] = []
    /// The best PNG's size, nil until one is found.
    private var bestSize: (width: Int, height: Int)?

    /// The largest valid PNG seen so far.
    var best: GcodeThumbnail? {
        guard let size = bestSize else { return nil }
        return GcodeThumbnail(width: size.width, height: size.height, base64: String(decoding: bestData, as: UTF8.self))
    }

    /// Reads one comment (`body` is the text after `;`, trimmed) and returns whether it
    /// belonged to a thumbnail block (then it is no metadata comment).
    mutating func comment(_ body: ArraySlice<UInt8>) -> Bool {
        if GcodeText.after("thumbnail", in: body) != nil {
            let words = body.split(whereSeparator: GcodeText.isBlank)
            if words.count >= 2, GcodeText.equals(words[1], "begin") {
                begin(tag: words[0], arguments: words.dropFirst(2))
                return true
            }
            if let current = block, words.count == 2, words[0].elementsEqual(current.tag),
               GcodeText.equals(words[1], "end") {
                finish(current)
                return true
            }
        }
        guard let current = block else { return false }
        if current.usable {
            if data.count + body.count > current.length {
                block?.usable = false
            } else {
                data.append(contentsOf: body)
            }
        }
        return true
    }

    /// A line that is no comment: a block it interrupts is broken.
    mutating func interrupt() { block = nil }

    /// The end of a window: a block still open was cut off and is dropped.
    mutating func endOfWindow() { block = nil }

    /// Starts a block (a begin line inside another block drops that one).
    private mutating func begin(tag: ArraySlice<UInt8>, arguments: ArraySlice<ArraySlice<UInt8>>) {
        let png = GcodeText.equals(tag, "thumbnail") || GcodeText.equals(tag, "thumbnail_PNG")
        var size: [Int] = []
        var malformed = false
        for argument in arguments {
            for part in argument.split(separator: UInt8(ascii: "x"), omittingEmptySubsequences: false) {
                if let number = GcodeNumbers.count(part) { size.append(number) } else { malformed = true }
            }
        }
        let valid = !malformed && size.count == 3 && size[0] > 0 && size[1] > 0 && size[0] <= 16_384 && size[1] <= 16_384
            && size[2] > 0 && size[2] <= Self.maxLength
        block = Block(tag: Array(tag), width: valid ? size[0] : 0, height: valid ? size[1] : 0,
                      length: valid ? size[2] : 0, usable: png && valid)
        data.removeAll(keepingCapacity: true)
        if png && valid { data.reserveCapacity(size[2]) }
    }

    /// Ends a block: a usable PNG larger than the best so far becomes the best.
    private mutating func finish(_ current: Block) {
        block = nil
        guard current.usable, data.count == current.length, Self.isPNGBase64(data) else { return }
        let area = Int64(current.width) * Int64(current.height)
        if let size = bestSize {
            let bestArea = Int64(size.width) * Int64(size.height)
            guard area > bestArea || (area == bestArea && data.count > bestData.count) else { return }
        }
        bestSize = (current.width, current.height)
        swap(&bestData, &data)
        data.removeAll(keepingCapacity: true)
    }

    /// Whether `text` is padded base64 that decodes to bytes starting with the PNG signature
    /// (89 50 4E 47 0D 0A 1A 0A, which base64 writes as `iVBORw0KGgo`).
    static func isPNGBase64(_ text: [UInt8]) -> Bool {
        guard text.count % 4 == 0, GcodeText.after("iVBORw0KGgo", in: text[...]) != nil else { return false }
        var padding = 0
        for byte in text {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            let alphabet = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || GcodeText.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            if !alphabet || padding > 0 { return false }
        }
        return padding <= 2
    }
}
