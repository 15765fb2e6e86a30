import FogModel
import Foundation

/// What a job has cost so far (`status.cost`): the quote's unit price times what the job
/// has used of the quote's unit — hours run for training, requests served for inference.
/// It has the quote's own shape (`unit`, `quantity`, `unitPrice`, `total`, `currency`), so
/// `status.quote` (the estimate) and `status.cost` (the use) read side by side.
public struct JobCost: Sendable, Equatable {
    /// The quote's unit: "hour" or "request".
    public var unit: String
    /// How much of the unit was used so far.
    public var quantity: Double
    public var unitPrice: Double
    /// unitPrice × quantity, to four decimals (a small tier's request costs a few cents).
    public var total: Double
    public var currency: String

    public init(unit: String, quantity: Double, unitPrice: Double, currency: String) {
        self.unit = unit
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.total = Pricing.rounded(unitPrice * quantity, places: 4)
        self.currency = currency
    }

    /// The cost of `used` units at the unit price of the job's quote (`status.quote`, as
    /// `Quote.json` or an auction's clearing writes it). A job without a quote costs nothing
    /// (its unit is then `fallbackUnit`).
    public init(quote: JSONValue?, used: Double, fallbackUnit: String) {
        self.init(unit: quote?["unit"]?.stringValue ?? fallbackUnit, quantity: used,
                  unitPrice: quote?["unitPrice"]?.numberValue ?? 0, currency: quote?["currency"]?.stringValue ?? "USD")
    }

    /// `{unit, quantity, unitPrice, total, currency}`.
    public var json: JSONValue {
        ["unit": .string(unit), "quantity": Pricing.jsonNumber(quantity), "unitPrice": Pricing.jsonNumber(unitPrice),
         "total": Pricing.jsonNumber(total), "currency": .string(currency)]
    }

    /// As the job's typed status holds it (throws for a unit the schema does not list).
    public func status() throws(JSONDecodingError) -> FederatedJobStatus.Cost {
        try FederatedJobStatus.Cost(json: StatusRead.object(json, "status.cost"), at: "status.cost")
    }

    /// Reads what `json` writes; nil when a field is missing or of the wrong type.
    public init?(json: JSONValue?) {
        guard let json, let unit = json["unit"]?.stringValue, let quantity = json["quantity"]?.numberValue,
              let unitPrice = json["unitPrice"]?.numberValue, let total = json["total"]?.numberValue,
              let currency = json["currency"]?.stringValue
        else { return nil }
        self.unit = unit
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.total = total
        self.currency = currency
    }
}
