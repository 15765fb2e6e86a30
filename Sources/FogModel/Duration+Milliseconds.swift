extension Duration {
    /// This duration in milliseconds, fractions included (for latencies measured on one monotonic clock).
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
