import MAXFramework

enum VerifyAssetsCommand {
    /// `max-server verify-assets`: the start-up asset step alone, as `md5sum -c md5sums.txt`.
    static let command = Command(
        name: "verify-assets",
        summary: "check the assets against md5sums.txt, downloading missing or wrong ones",
        help: """
        usage: max-server verify-assets [OPTIONS]

        Checks each configured asset against its MD5 in md5sums.txt and prints '<path>: OK' per
        asset. A missing or mismatched file with a url is downloaded, verified and moved into
        place. Exits 1 on the first asset that cannot be made good.

        options:
          --no-download      only verify; a missing or wrong file is an error
        \(ServiceOptions.help)
        """,
        spec: ArgumentSpec(valued: ServiceOptions.valued, flags: ["--no-download"], maxPositionals: 0),
        run: { arguments in
            let (configuration, logger) = try ServiceOptions.configuration(arguments)
            let statuses: [AssetStatus]
            do {
                statuses = try AssetStore.prepare(configuration, logger: logger.child(label: "assets"),
                                                  allowDownload: !arguments.has("--no-download"))
            } catch {
                throw ServiceOptions.failure(error)
            }
            if statuses.isEmpty { print("no assets configured") }
            for status in statuses {
                print("\(status.path): OK (\(status.md5)\(status.action == .downloaded ? ", downloaded" : ""))")
            }
            return 0
        })
}
