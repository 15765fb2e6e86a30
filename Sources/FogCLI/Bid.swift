import ArgumentParser
import FogClient
import FogModel
import Foundation

/// `fogctl bid`: a node's sealed bid in an auction, as its agent (`--token` of the node's agent
/// against a server; the server lets an agent bid only as its own node and keeps the bid sealed
/// until the auction closes).
struct BidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bid",
        abstract: "Bid in an open auction as a node: a unit price (per hour or per request, as the auction says).",
        discussion: """
            Creates Bid <auction>-<node>. Refused once the auction is no longer Open; a bid is never \
            changed after it is received (its digest is recorded in the auction's status).
            """)

    @Option(help: ArgumentHelp("The Auction.", valueName: "name"))
    var auction: String
    @Option(help: ArgumentHelp("The FogNode bidding.", valueName: "name"))
    var node: String
    @Option(help: ArgumentHelp("Unit price asked, in the auction's unit and currency.", valueName: "price"))
    var price: Double
    @Option(help: ArgumentHelp("When the bid stops being valid (a duration from now, e.g. 5m).", valueName: "duration"))
    var expires: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("The auction's namespace.", valueName: "namespace"))
    var namespace = "default"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard price >= 0, price.isFinite else { throw ValidationError("--price must be a number ≥ 0 (got \(price))") }
        if let e = expires, DurationText.seconds(e) == nil { throw ValidationError("--expires must be a duration such as 30s or 5m (got \(e))") }
    }

    func run() async throws {
        let client = try global.client()
        do {
            guard let a = try await client.get(ObjectKey(kind: "Auction", namespace: namespace, name: auction)) else {
                throw CommandFailure(code: 1, "error: auction \(namespace)/\(auction) does not exist")
            }
            let phase = a.status?["phase"]?.stringValue ?? "Pending"
            guard phase == "Open" else {
                throw CommandFailure(code: 1, "error: auction \(namespace)/\(auction) is \(phase): it no longer takes bids"
                                     + (a.status?["closedAt"]?.stringValue.map { " (closed at \($0))" } ?? ""))
            }
            var spec: [String: JSONValue] = ["auction": .string(auction), "node": .string(node), "price": .double(price)]
            if let e = expires, let s = DurationText.seconds(e) { spec["expiresAt"] = .string(Timestamp.format(Date().addingTimeInterval(s))) }
            var meta = ObjectMeta(name: String((auction + "-" + node).prefix(63)), namespace: namespace)
            meta.labels = ["fog/auction": auction, "fog/node": node]
            let created = try await client.create(Resource(kind: "Bid", metadata: meta, content: ["spec": .object(spec)]))
            let unit = a.spec?["unit"]?.stringValue ?? "hour"
            CLI.console.out("bid/\(created.name) created: \(node) asks \(JSONCoding.formatDouble(price)) \(a.spec?["currency"]?.stringValue ?? "USD") per \(unit) in auction \(namespace)/\(auction) (sealed until it closes at \(a.status?["closesAt"]?.stringValue ?? "?"))\n")
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
    }
}
