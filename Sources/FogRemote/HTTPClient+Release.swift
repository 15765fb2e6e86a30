import AsyncHTTPClient

extension HTTPClient {
    /// Shuts the client down without waiting, for a `deinit`: the last reference to a client can
    /// be dropped on one of NIO's event-loop threads (a task ending there), where
    /// `syncShutdown()` stops the process ("must not be called when on an EventLoop"). Its
    /// connections close in the background; nothing waits for them.
    func shutdownWithoutWaiting() {
        shutdown(queue: .global()) { _ in }
    }
}
