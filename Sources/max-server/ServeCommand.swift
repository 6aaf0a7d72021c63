import MAXFramework

enum ServeCommand {
    /// `max-server serve`: verify assets, load the model, serve HTTP until SIGINT/SIGTERM.
    static let command = Command(
        name: "serve",
        summary: "verify assets, load the model and serve the HTTP API (default)",
        help: """
        usage: max-server [serve] [OPTIONS]

        Verifies the assets against md5sums.txt (downloading missing ones), loads the model and
        serves GET /model/metadata, POST /model/predict, /openapi.json, /swagger.json, the docs page
        at / and the demo app at /app.
        Stops gracefully on SIGINT or SIGTERM.

        options:
        \(ServiceOptions.help)
        """,
        spec: ArgumentSpec(valued: ServiceOptions.valued, maxPositionals: 0),
        run: { arguments in
            let (configuration, logger) = try ServiceOptions.configuration(arguments)
            // Caught from here on, so a SIGTERM that comes as soon as the first answer has gone
            // out (or during start-up) still stops the server gracefully.
            TerminationSignals.catchSignals()
            let server: RunningService
            do {
                server = try MAXService.start(configuration, plugins: registeredPlugins, providers: registeredRouteProviders, logger: logger)
            } catch {
                throw ServiceOptions.failure(error)
            }
            server.waitForShutdownSignal()
            logger.info("stopped")
            return 0
        })
}
