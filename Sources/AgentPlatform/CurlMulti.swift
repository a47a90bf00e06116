import CCurl
import CLibc

/// libcurl's multi interface driven by the agent's reactor (design decision 2). libcurl says
/// through CURLMOPT_SOCKETFUNCTION which sockets to watch for what, and through
/// CURLMOPT_TIMERFUNCTION when it wants to be called back; each socket becomes a reactor
/// source and the timeout a reactor timer, and both answer with `curl_multi_socket_action`.
/// Never `curl_multi_perform` in a loop, never a thread of ours. Finished transfers are
/// reported through `onDone`, outside any libcurl call.
///
/// This file (like HttpDownload.swift) uses no Array. The storage of an empty array is a
/// standard-library data symbol that every object file using one defines, and the device link
/// may take it from this file's object; that keeps the object's whole data section, and through
/// the class metadata in it the calls into libcurl, in a binary that never downloads, whose
/// link has no -lcurl (packaging/cross/build) and would then fail.
final class CurlMulti {
    /// A transfer finished, with libcurl's result. The handler may remove the easy handle and
    /// close the multi handle.
    var onDone: (_ easy: UnsafeMutableRawPointer, _ result: CURLcode) -> Void = { _, _ in }

    /// The CURLM handle; nil once closed.
    private var handle: UnsafeMutableRawPointer?
    /// The reactor the sockets and the timer are registered with, from `add` until `close`.
    private var reactor: Reactor?
    /// The sockets libcurl watches, linked through `CurlSocket.next`.
    private var sockets: CurlSocket?
    private var timer: Reactor.TimerID?

    /// Creates the multi handle and installs the socket and timer callbacks.
    init() throws(SystemError) {
        guard let multi = agent_curl_multi_init() else {
            throw SystemError(call: "curl_multi_init", message: "libcurl: cannot create a multi handle")
        }
        handle = multi
        let context = Unmanaged.passUnretained(self).toOpaque()
        var rc = agent_curl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, context)
        if rc == CURLM_OK {
            rc = agent_curl_multi_setopt_socket_function(multi) { _, socket, what, context, _ in
                guard let context else { return 0 }
                Unmanaged<CurlMulti>.fromOpaque(context).takeUnretainedValue().watch(socket, what)
                return 0
            }
        }
        if rc == CURLM_OK { rc = agent_curl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, context) }
        if rc == CURLM_OK {
            rc = agent_curl_multi_setopt_timer_function(multi) { _, timeoutMs, context in
                guard let context else { return 0 }
                Unmanaged<CurlMulti>.fromOpaque(context).takeUnretainedValue().schedule(Int64(timeoutMs))
                return 0
            }
        }
        if rc != CURLM_OK {
            close()
            throw SystemError(call: "curl_multi_setopt", message: "libcurl: \(Self.describe(rc))")
        }
    }

    deinit { close() }

    /// Starts the transfer of `easy`, with its sockets and timer on `reactor`.
    func add(_ easy: UnsafeMutableRawPointer, on reactor: Reactor) -> CURLMcode {
        guard let handle else { return CURLM_BAD_HANDLE }
        self.reactor = reactor
        return agent_curl_multi_add_handle(handle, easy)
    }

    /// Stops the transfer of `easy` (finished or not); the caller then cleans it up.
    func remove(_ easy: UnsafeMutableRawPointer) {
        guard let handle else { return }
        _ = agent_curl_multi_remove_handle(handle, easy)
    }

    /// Cleans up the multi handle (closing the connections it keeps) and takes its sockets and
    /// timer off the reactor. Safe to call more than once.
    func close() {
        guard let multi = handle else { return }
        agent_curl_multi_cleanup(multi)
        handle = nil
        while let socket = sockets { unwatch(socket) }
        if let timer { reactor?.cancel(timer) }
        timer = nil
        reactor = nil
        onDone = { _, _ in }
    }

    /// libcurl's sentence for a multi interface result.
    static func describe(_ rc: CURLMcode) -> String { String(cString: agent_curl_multi_strerror(rc)) }

    /// Tells libcurl what happened on `socket` (or that its timeout expired), then reports the
    /// transfers that finished.
    fileprivate func act(on socket: curl_socket_t, events: Int32) {
        guard let multi = handle else { return }
        var running: Int32 = 0
        _ = agent_curl_multi_socket_action(multi, socket, events, &running)
        var queued: Int32 = 0
        // A handler may close the multi handle: the loop then ends (the message is copied out
        // first, as removing its transfer invalidates it).
        while let open = handle, let message = agent_curl_multi_info_read(open, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            onDone(easy, message.pointee.data.result)
        }
    }

    /// CURLMOPT_SOCKETFUNCTION: watch `socket` for `what` (CURL_POLL_*), or stop watching it.
    private func watch(_ socket: curl_socket_t, _ what: Int32) {
        var known = sockets
        while let source = known, source.pollDescriptor != socket { known = source.next }
        if what == CURL_POLL_REMOVE {
            if let known { unwatch(known) }
            return
        }
        let events = (what & CURL_POLL_IN != 0 ? Int16(POLLIN) : 0) | (what & CURL_POLL_OUT != 0 ? Int16(POLLOUT) : 0)
        if let known {
            known.pollEvents = events
        } else if let reactor {
            let source = CurlSocket(descriptor: socket, events: events, multi: self)
            source.next = sockets
            sockets = source
            reactor.add(source)
        }
    }

    /// Takes `socket` off the list and the reactor, and detaches it.
    private func unwatch(_ socket: CurlSocket) {
        if sockets === socket {
            sockets = socket.next
        } else {
            var previous = sockets
            while let source = previous, source.next !== socket { previous = source.next }
            previous?.next = socket.next
        }
        socket.next = nil
        reactor?.remove(socket)
        socket.detach()
    }

    /// CURLMOPT_TIMERFUNCTION: call back in `timeoutMs` (0: as soon as possible), or never (-1).
    /// libcurl must not be called from inside this callback, so even 0 goes through the reactor.
    private func schedule(_ timeoutMs: Int64) {
        if let timer { reactor?.cancel(timer) }
        timer = nil
        guard timeoutMs >= 0, let reactor else { return }
        timer = reactor.after(timeoutMs) { [self] in
            timer = nil
            act(on: CURL_SOCKET_TIMEOUT, events: 0)
        }
    }
}

/// One socket libcurl asked the reactor to watch. It keeps its multi handle alive while it is
/// registered; `detach` (when libcurl lets the socket go, or the multi handle closes) breaks
/// that link and makes any event the reactor still holds for it a no-op.
private final class CurlSocket: PollSource {
    private(set) var pollDescriptor: Int32
    var pollEvents: Int16
    /// The next socket of the multi handle's list.
    var next: CurlSocket?
    private var multi: CurlMulti?

    /// A source for `descriptor`, polled for `events` (POLLIN, POLLOUT), serving `multi`.
    init(descriptor: Int32, events: Int16, multi: CurlMulti) {
        pollDescriptor = descriptor
        pollEvents = events
        self.multi = multi
    }

    func handle(events: Int16) {
        guard let multi else { return }
        var mask: Int32 = 0
        if events & Int16(POLLIN | POLLHUP) != 0 { mask |= CURL_CSELECT_IN }
        if events & Int16(POLLOUT) != 0 { mask |= CURL_CSELECT_OUT }
        if events & Int16(POLLERR) != 0 { mask |= CURL_CSELECT_ERR }
        multi.act(on: pollDescriptor, events: mask)
    }

    /// Forgets the multi handle and the descriptor.
    func detach() {
        multi = nil
        pollDescriptor = -1
    }
}
