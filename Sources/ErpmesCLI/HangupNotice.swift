import Logging
import ServiceLifecycle
import UnixSignals

/// Keeps SIGHUP from killing `erpmes run` (its default action) and says so in the log: the
/// configuration is not reloaded yet, so a change needs a restart. Runs until the group stops.
struct HangupNotice: Service {
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                self.logger.notice(
                    "SIGHUP received: erpmes run does not reload its configuration; restart it to apply a change (replication goes on)"
                )
            }
        }
    }
}
