import FogStore
import Logging
import ServiceLifecycle

/// `StoreMaintenance` as a service: compaction, page release and WAL checkpoints until
/// graceful shutdown, then the shutdown checkpoint, which leaves the WAL empty. Put it
/// first in its ServiceGroup: a group stops its services in reverse order, so it stops
/// after every service that writes (the API server, the manager).
public struct StoreMaintenanceService: Service {
    public let maintenance: StoreMaintenance
    let logger: Logger

    public init(_ maintenance: StoreMaintenance, logger: Logger) {
        self.maintenance = maintenance
        self.logger = logger
    }

    public func run() async throws {
        let maintenance = self.maintenance, logger = self.logger
        await cancelWhenGracefulShutdown {
            await maintenance.run { result in
                switch result {
                case .success(let r):
                    logger.debug("store maintenance", metadata: [
                        "compactedBefore": "\(r.compaction.point)", "deleted": "\(r.compaction.deleted)",
                        "batches": "\(r.compaction.batches)", "releasedPages": "\(r.releasedPages)",
                        "walTruncated": "\(r.walTruncated)", "seconds": "\(r.seconds)",
                    ])
                case .failure(let error):
                    logger.warning("store maintenance failed", metadata: ["error": "\(error)"])
                }
            }
        }
        do {
            if try !maintenance.finish() { logger.warning("shutdown checkpoint: the WAL is still in use by another process") }
        } catch {
            logger.warning("shutdown checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
