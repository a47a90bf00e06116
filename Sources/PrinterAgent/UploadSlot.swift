/// The one upload the printer takes at a time, whichever server it comes through (LAN mode's
/// `POST /gcode_upload`, the OctoPrint API's `POST /api/files/local`): two at once would
/// share the storage's bandwidth and the free space each checked before it began. The
/// services hold their upload here from its head to its end.
final class UploadSlot {
    /// The upload under way, if any.
    private var current: FileUpload?

    /// Whether an upload is under way.
    var isBusy: Bool { current != nil }

    /// `upload` holds the slot until `release`.
    func hold(_ upload: FileUpload) { current = upload }

    /// The upload under way has ended.
    func release() { current = nil }
}
