/// The lines of the file being printed, as the Marlin session pulls them: the adapter passes
/// its file reader (the I/O stays in the platform layer), the tests an array of lines.
public protocol PrintFileLines: AnyObject {
    /// What a failed read throws.
    associatedtype Failure: Error
    /// The file's size in bytes.
    var size: Int64 { get }
    /// The bytes consumed so far: the end of the last line handed out.
    var position: Int64 { get }
    /// The next line without its newline, or nil at the end of the file.
    func nextLine() throws(Failure) -> ArraySlice<UInt8>?
    /// The sentence a person reads for `error`.
    static func message(of error: Failure) -> String
}
