/// The eight ways of ranking nodes (the seed's weightings; their weights are in FogFleet's
/// peer scoring). Raw values are the names used on the wire: a job's `placement.algorithm`,
/// `fogctl top nodes --algorithm`.
public enum ScoringAlgorithm: String, SchemaEnum {
    case standard
    case latencyOptimized = "latency-optimized"
    case throughputOptimized = "throughput-optimized"
    case reliabilityOptimized = "reliability-optimized"
    case geographicProximity = "geographic-proximity"
    case loadBalanced = "load-balanced"
    case economic
    case consensus
}
