import FogAPI
import Foundation
import HTTPTypes
import NIOHTTPTypes
import HummingbirdCore
import NIOCore

/// Closes a connection whose request head (request line and headers) has not fully arrived
/// within `deadline` of the connection opening or of the previous response ending: a client
/// that trickles its headers a byte at a time cannot hold a connection open (the idle timeout
/// alone does not stop it, since every byte counts as activity).
final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let deadline: TimeAmount
    private var timer: Scheduled<Void>?

    init(deadline: TimeAmount) { self.deadline = deadline }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
    }

    func handlerAdded(context: ChannelHandlerContext) { if context.channel.isActive { arm(context) } }
    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }
    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }
    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context) }  // waiting for the next request's head
        context.write(data, promise: promise)
    }
}

/// Open watch streams per user, bounded: one client cannot hold the server's watch capacity.
final class WatchBudget: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [String: Int] = [:]
    let perUser: Int

    init(perUser: Int) { self.perUser = perUser }

    /// Takes one watch for `user`, or throws 429 when it already holds `perUser`.
    func take(_ user: String) throws {
        try lock.withLock {
            let n = open[user, default: 0]
            guard n < perUser else {
                throw AdmissionError(.tooManyRequests, "user \"\(user)\" already has \(n) open watches; the limit is \(perUser) per user")
            }
            open[user] = n + 1
        }
    }

    func give(_ user: String) {
        lock.withLock {
            let n = (open[user] ?? 1) - 1
            open[user] = n > 0 ? n : nil
        }
    }
}
