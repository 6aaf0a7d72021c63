// Placeholder until the CLI lands.
print("max-server: not built yet")
