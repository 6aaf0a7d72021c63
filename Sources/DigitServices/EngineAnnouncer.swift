import Foundation
import Logging
import MAXFramework

/// Announces the service to its orchestration engine: at start-up and every `interval` seconds,
/// `POST {engine}/services` with the service's `/compute` URL and its API, so the engine (which
/// forgets a service whose heartbeat is older than 90 s) keeps routing digits here. A failed
/// announcement is a warning and is retried at the next beat; announcing stops when the
/// service starts draining.
final class EngineAnnouncer: @unchecked Sendable {
    let servicesURL: URL
    let body: JSONValue
    let interval: Double
    let poster: JSONPoster
    let logger: Logger
    private let stop = DispatchSemaphore(value: 0)

    init(engine: String, service: String, interval: Double, poster: JSONPoster, logger: Logger) throws {
        guard let url = URL(string: engine + "/services"), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ConfigurationError(key: "engine.url", message: "expected an http or https URL, got '\(engine)'")
        }
        servicesURL = url
        body = EngineAnnouncer.announcement(service: service)
        self.interval = interval
        self.poster = poster
        self.logger = logger
    }

    /// The body the engine expects, exactly.
    static func announcement(service: String) -> JSONValue {
        .object([
            ("url", .string(service + "/compute")),
            ("api", .object([
                ("route", .string("digit-recognition")),
                ("body", .array([.string("image")])),
                ("bodyType", .array([.string("[image/png, image/jpeg]")])),
                ("resultType", .array([.string("[application/json]")])),
                ("summary", .string("Recognizes a digit in an image using mnist trained model")),
            ])),
            ("type", .string("service")),
        ])
    }

    /// The announcer `engine.url` and `engine.service_url` ask for, or nil when either is unset.
    static func fromConfiguration(_ configuration: MAXConfiguration, logger: Logger) throws -> EngineAnnouncer? {
        guard let engine = configuration.engineURL, let service = configuration.engineServiceURL else {
            if (configuration.engineURL == nil) != (configuration.engineServiceURL == nil) {
                logger.warning("engine.url (APP_ENGINE) and engine.service_url (APP_SERVICE) must both be set to announce; not announcing")
            }
            return nil
        }
        return try EngineAnnouncer(engine: engine, service: service, interval: configuration.engineNotifyInterval,
                                   poster: JSONPoster(timeout: min(10, configuration.engineNotifyInterval)), logger: logger)
    }

    func start(health: ServiceHealth) {
        health.onChange { [stop] state in if state == .draining { stop.signal() } }
        let thread = Thread { [self] in run() }
        thread.name = "engine-announcer"
        thread.start()
    }

    private func run() {
        logger.info("announcing \(body["url"]?.stringValue ?? "") to \(servicesURL.absoluteString) every \(interval) s")
        repeat {
            announce()
        } while stop.wait(timeout: .now() + interval) == .timedOut
        logger.info("stopped announcing to \(servicesURL.absoluteString)")
    }

    func announce() {
        do {
            let status = try poster.post(body, to: servicesURL)
            if status != 200 {
                logger.warning("announcing to \(servicesURL.absoluteString) answered \(status); retrying in \(interval) s")
            }
        } catch {
            logger.warning("announcing to the engine failed: \(error); retrying in \(interval) s")
        }
    }
}
